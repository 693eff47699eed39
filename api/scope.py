"""Which precinct a request may see and change.

Every route and service that reads or writes precinct data passes the precinct it was asked for through
:func:`read_precinct` (reads) or :func:`check_write` (writes). Outside a request (the CLI) and for bureau-wide
users there is no limit.
"""

from __future__ import annotations

import hashlib

from flask import g, has_request_context

from api.errors import Forbidden, NotFound

__all__ = ["scope_precinct", "read_precinct", "check_write", "check_read", "boundary_condition", "scope_key"]

_SCOPED_ROLES = ("precinct", "viewer")


def scope_precinct() -> str | None:
    """The precinct code the current user is limited to, or None when they may see every precinct."""
    if not has_request_context():
        return None
    user = g.get("user")
    if user is None or getattr(user, "role", None) not in _SCOPED_ROLES:
        return None
    return getattr(user, "precinct", None)


def read_precinct(requested: str | None) -> str | None:
    """The precinct a read is limited to: the one asked for (None = all), within the user's scope."""
    own = scope_precinct()
    if own is None:
        return requested or None
    if requested and requested != own:
        raise Forbidden(f"precinct {requested} is outside your scope ({own})")
    return own


def check_write(precinct: str | None) -> None:
    """Refuse a change to ``precinct`` (None = several or all precincts) that the current user may not make."""
    if not has_request_context():
        return
    user = g.get("user")
    if user is None:
        return
    role = getattr(user, "role", None)
    if role in ("viewer", "analyst"):
        raise Forbidden(f"role {role} is read-only")
    own = scope_precinct()
    if own is not None and precinct != own:
        raise Forbidden(f"changes are limited to precinct {own}")


def check_read(precinct: str | None, what: str) -> None:
    """Refuse one object (a hazard, a grid) of another precinct: 404, as if it did not exist."""
    own = scope_precinct()
    if own is not None and precinct != own:
        raise NotFound(f"no {what} in your precinct ({own})")


def boundary_condition(layer: str, alias: str = "t", param: str = "scope") -> str:
    """SQL: the row of boundary ``layer`` (precincts, districts, grids) belongs to precinct ``:param``.

    A grid without its own precinct code belongs to its district's precinct.
    """
    if layer == "precincts":
        return f"{alias}.code = :{param}"
    if layer == "grids":
        return (
            f"({alias}.precinct_code = :{param} OR ({alias}.precinct_code IS NULL AND {alias}.district_code IN"
            f" (SELECT d.code FROM district d WHERE d.valid_to IS NULL AND d.precinct_code = :{param})))"
        )
    return f"{alias}.precinct_code = :{param}"


def scope_key() -> str:
    """A short, path-safe name of the current scope for caches: "" when unlimited."""
    own = scope_precinct()
    if own is None:
        return ""
    return "p" + hashlib.sha256(own.encode()).hexdigest()[:12]
