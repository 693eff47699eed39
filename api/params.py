"""Parsing of the values people type into URLs and the CLI: times, tolerances, whole numbers."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from api.errors import BadRequest

__all__ = ["local_zone", "parse_time", "parse_tolerance"]


def local_zone() -> ZoneInfo:
    """Where naive times are read: JINGWANG_TIMEZONE, default Asia/Shanghai."""
    return ZoneInfo(os.environ.get("JINGWANG_TIMEZONE") or "Asia/Shanghai")


def parse_time(value: str | None, name: str = "time") -> datetime | None:
    """ISO 8601 date or date-time; without a zone it is read in :func:`local_zone`."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an ISO date or date-time such as 2026-11-01T08:00, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=local_zone())


def parse_tolerance(value: str | float | None, default: float = 0.01) -> float:
    if value in (None, ""):
        return default
    try:
        tol = float(value)
    except (TypeError, ValueError):  # TypeError: a JSON body may send a list or an object
        raise BadRequest(f"tolerance must be a number such as 0.01, got {value!r}") from None
    if not 0 <= tol < 0.5:
        raise BadRequest(f"tolerance must be between 0 and 0.5, got {tol}")
    return tol
