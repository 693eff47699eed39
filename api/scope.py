"""Which precinct a request may see and change.

Every route and service that reads or writes precinct data passes the precinct it was asked for through
:func:`read_precinct` (reads) or :func:`check_write` (writes). Outside a request (the CLI) and for bureau-wide
users there is no limit.
"""

from __future__ import annotations

from flask import g, has_request_context

from api.errors import Forbidden

__all__ = ["scope_precinct", "read_precinct", "check_write"]

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
