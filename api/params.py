"""Parsing of the values people type into URLs and the CLI: times, tolerances, whole numbers."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from api.errors import BadRequest

__all__ = ["local_zone", "parse_time", "parse_tolerance", "parse_whole", "parse_number"]


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


def parse_whole(raw: str | None, name: str, default: int | None, low: int = 0, high: int | None = None) -> int | None:
    """A whole number from ``low`` to ``high`` (no upper bound when None); ``default`` when not given."""
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"{name} must be {span}, got {value}")
    return value


def parse_number(raw: str | None, name: str, default: float | None, high: float = 1e6) -> float | None:
    """A number from 0 to ``high``; ``default`` when not given. NaN and infinities are refused."""
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number, got {raw!r}") from None
    if not 0 <= value <= high:  # also refuses nan and inf
        raise BadRequest(f"{name} must be between 0 and {high:,g}, got {raw!r}")
    return value
