"""Times as police exports write them: ISO 8601 with or without a zone, ``2026/11/01 07:36``, ``2026年11月1日
07时36分``, US ``5/3/16 23:40`` or ``07/31/2018 01:30:00 PM``, epoch seconds or milliseconds.

A time with a zone keeps it; a naive time is read in ``timezone`` (default ``Asia/Shanghai``). Everything comes
back as UTC. Values that cannot be read are NaT and reported, never guessed.

>>> parse_times(pd.Series(["2026-11-01T07:36:00+08:00", "2026-11-01 07:36", "5/3/16 23:40", "x"])).times.tolist()
[Timestamp('2026-10-31 23:36:00+0000', tz='UTC'), Timestamp('2026-10-31 23:36:00+0000', tz='UTC'), \
Timestamp('2016-05-03 15:40:00+0000', tz='UTC'), NaT]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from geo.errors import GeoError

__all__ = ["DEFAULT_TIMEZONE", "ParsedTimes", "get_zone", "parse_times", "parse_instant", "row_list"]

DEFAULT_TIMEZONE = "Asia/Shanghai"

_ZONED = r"(?:Z|[+-]\d\d(?::?\d\d)?)$"
_CHINESE = str.maketrans({"年": "-", "月": "-", "日": " ", "时": ":", "分": ":", "秒": ""})
_YEAR_FIRST = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d",
)
_MONTH_FIRST = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
)
_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b")


@dataclass
class ParsedTimes:
    times: pd.Series  # datetime64[UTC], NaT where missing or unreadable
    missing: np.ndarray  # bool: no value at all
    bad: np.ndarray  # bool: a value that is not a time
    notes: list[str] = field(default_factory=list)


def get_zone(name: str | None) -> tzinfo:
    """The zone named ``name`` (IANA, e.g. ``Asia/Shanghai``) or a GeoError that says so."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise GeoError(f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai") from None


def row_list(mask: np.ndarray, limit: int = 20) -> str:
    """``"3, 7, 9 and 12 more"``: the 1-based data rows where ``mask`` holds."""
    rows = (np.flatnonzero(mask) + 1).tolist()
    head = ", ".join(map(str, rows[:limit]))
    return head + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _localize(naive: pd.Series, zone: str) -> pd.Series:
    flags = np.zeros(len(naive), dtype=bool)  # an hour that occurs twice (DST ends) is read as standard time
    local = naive.dt.tz_localize(zone, ambiguous=flags, nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")


def _epoch(text: pd.Series) -> pd.Series | None:
    digits = text.str.fullmatch(r"\d{10}(?:\.\d+)?|\d{13}")
    if not digits.all():
        return None
    numbers = pd.to_numeric(text)
    unit = "ms" if (text.str.len() == 13).all() else "s"
    return pd.to_datetime(numbers, unit=unit, utc=True)


def _day_first(text: pd.Series) -> bool:
    parts = text.str.extract(_DMY)
    if parts.empty:
        return False
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    return bool((first > 12).any() and not (second > 12).any())


def _formats(rest: pd.Series, day_first: bool) -> pd.Series:
    out = pd.Series(pd.NaT, index=rest.index, dtype="datetime64[us]")
    formats: tuple[str, ...] = _MONTH_FIRST
    if day_first:
        formats = tuple(f.replace("%m/%d/", "%d/%m/") for f in _MONTH_FIRST)
    norm = rest.str.replace(r"[.-]", "/", regex=True)
    for fmt in _YEAR_FIRST + formats:
        todo = out.isna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(norm[todo], format=fmt, errors="coerce")
    return out


def _naive(text: pd.Series) -> tuple[pd.Series, list[str]]:
    """Naive wall-clock times: ISO first, then the US/European numeric orders."""
    cleaned = text.str.translate(_CHINESE).str.replace(r"\s+", " ", regex=True).str.strip().str.rstrip(":")
    out = pd.to_datetime(cleaned, format="ISO8601", errors="coerce")
    rest = out.isna()
    notes: list[str] = []
    if rest.any():
        day_first = _day_first(cleaned[rest])
        out[rest] = _formats(cleaned[rest], day_first)
        slashed = cleaned[rest].str.match(_DMY)
        if slashed.any():
            order = "day/month/year" if day_first else "month/day/year (US order)"
            notes.append(f"dates like {cleaned[rest][slashed].iloc[0]!r} were read as {order}")
    return out.astype("datetime64[us]"), notes


def _uniform_iso(present: pd.Series, zone: str) -> pd.Series | None:
    """Fast path: every value ISO 8601, all with one zone offset or all naive. None when that does not hold."""
    sample = present.iloc[:: max(1, len(present) // 200)]
    if sample.str.fullmatch(r"\d{10}(?:\.\d+)?|\d{13}").any():
        return None
    try:
        parsed = pd.to_datetime(present, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return None
    if parsed.dt.tz is None:
        return _localize(parsed.astype("datetime64[us]"), zone)
    return parsed.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def _mixed(present: pd.Series, zone: str) -> tuple[pd.Series, list[str]]:
    """Slow path, value by value: zones kept where written, naive values local, other notations tried in turn."""
    out = pd.Series(pd.NaT, index=present.index, dtype="datetime64[us, UTC]")
    text = present.str.strip()
    epoch = _epoch(text)
    if epoch is not None:
        out[:] = epoch
        return out, ["times were read as Unix epoch seconds (UTC)"]
    zoned = text.str.contains(_ZONED, regex=True)
    notes: list[str] = []
    if zoned.any():
        out[zoned[zoned].index] = pd.to_datetime(text[zoned], format="ISO8601", errors="coerce", utc=True)
    if (~zoned).any():
        naive, notes = _naive(text[~zoned])
        out[naive.index] = _localize(naive, zone)
    return out, notes


def parse_times(values: pd.Series, timezone_name: str | None = None) -> ParsedTimes:
    """Parse a column of time texts (or datetimes) into UTC; naive values are local to ``timezone_name``."""
    zone = str(get_zone(timezone_name))
    if pd.api.types.is_datetime64_any_dtype(values):
        series = values if values.dt.tz is not None else _localize(values, zone)
        utc = pd.to_datetime(series, utc=True).reset_index(drop=True)
        return ParsedTimes(utc, np.asarray(utc.isna()), np.zeros(len(utc), bool))
    text = values.reset_index(drop=True).astype("str")
    missing = np.asarray(values.reset_index(drop=True).isna()) | np.asarray(text == "")
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    present = text[~missing]
    notes: list[str] = []
    if len(present):
        fast = _uniform_iso(present, zone)
        found, notes = (fast, []) if fast is not None else _mixed(present, zone)
        out.loc[found.index] = found
    bad = np.asarray(out.isna()) & ~missing
    return ParsedTimes(out, missing, bad, notes)


def parse_instant(value: str | datetime | None, timezone_name: str | None = None) -> datetime | None:
    """One ISO time from a command line or query string; naive means local to ``timezone_name``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        stamp = value
    else:
        try:
            stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise GeoError(f"{value!r} is not an ISO time: write e.g. 2026-11-01T08:00 or 2026-11-01") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=get_zone(timezone_name))
    return stamp
