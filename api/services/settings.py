"""Settings changed at run time, stored as JSON by key: the hazard SLA and the key-place categories."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from api.errors import BadRequest
from geo.lifecycle import DEFAULT_SLA_HOURS
from geo.points import DEFAULT_CATEGORIES

__all__ = ["DEFAULTS", "get_setting", "set_setting", "sla_table", "categories"]

DEFAULTS: dict[str, Any] = {
    "hazard_sla_hours": {str(k): v for k, v in DEFAULT_SLA_HOURS.items()},
    "key_place_categories": DEFAULT_CATEGORIES,
}


def get_setting(session: Session, key: str) -> Any:
    """The stored value of ``key``, else its default."""
    if key not in DEFAULTS:
        raise BadRequest(f"unknown setting {key!r}: one of {', '.join(DEFAULTS)}")
    value = session.scalar(text("SELECT value FROM setting WHERE key = :k"), {"k": key})
    return copy.deepcopy(DEFAULTS[key]) if value is None else value


def set_setting(session: Session, key: str, value: Any, user: str = "system") -> Any:
    """Store ``value`` under ``key`` (checked first); commits. Returns the value."""
    checked = _check(key, value)
    session.execute(
        text(
            "INSERT INTO setting (key, value, updated_by) VALUES (:k, :v, :u) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value, updated_by = excluded.updated_by, updated_at = now()"
        ).bindparams(bindparam("v", type_=JSONB)),
        {"k": key, "v": checked, "u": user},
    )
    session.commit()
    return checked


def _check(key: str, value: Any) -> Any:
    if key == "hazard_sla_hours":
        try:
            table = {str(int(k)): float(v) for k, v in dict(value).items()}
        except (TypeError, ValueError):
            raise BadRequest('the SLA is a table of severity → hours, e.g. {"1": 168, "3": 24}') from None
        if not table or any(v <= 0 for v in table.values()):
            raise BadRequest("every SLA must be a positive number of hours")
        return table
    if key == "key_place_categories":
        if not isinstance(value, list) or not all(isinstance(c, dict) and c.get("code") for c in value):
            raise BadRequest('categories are a list of {"code", "zh", "en", "aliases"}')
        return value
    raise BadRequest(f"unknown setting {key!r}: one of {', '.join(DEFAULTS)}")


def sla_table(session: Session) -> dict[int, float]:
    """Hours to resolve a hazard, by severity."""
    return {int(k): float(v) for k, v in get_setting(session, "hazard_sla_hours").items()}


def categories(session: Session) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = get_setting(session, "key_place_categories")
    return value
