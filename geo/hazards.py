"""Hazards from a point file: title, category, severity, reporter, time, optional state and due time.

A row without a title, or without a position, is reported and skipped; a state written in Chinese
(``已销号``) is read; an unreadable state is ``reported`` with a note. Missing report times are left to the
caller (the import time), missing due times to the SLA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.errors import GeoError
from geo.lifecycle import parse_state
from geo.points import HAZARD_FIELDS, Points, _base, _column, _pick, _require_located, levels
from geo.tables import PointTable
from geo.times import parse_times, row_list

__all__ = ["hazards"]


def _times(table: PointTable, fields: dict[str, str], role: str, timezone: str | None) -> tuple[pd.Series, list[str]]:
    parsed = parse_times(_column(table, fields, role), timezone)
    notes = [f"{table.file_name}: {n}" for n in parsed.notes]
    if parsed.bad.any():
        notes.append(f"{table.file_name}: rows {row_list(parsed.bad)}: {fields[role]} is not a time; left empty.")
    return parsed.times, notes


def _states(table: PointTable, fields: dict[str, str]) -> tuple[pd.Series, list[str]]:
    source = _column(table, fields, "state")
    states = source.map(lambda v: parse_state(v) if v else "reported")
    unknown = states.isna()
    notes = []
    if unknown.any():
        values = sorted(set(source[unknown]))[:5]
        notes.append(
            f"{table.file_name}: rows {row_list(np.asarray(unknown))}: unknown state {values}: read as reported."
        )
    return states.fillna("reported"), notes


def hazards(table: PointTable, timezone: str | None, given: dict[str, str | None] | None = None) -> Points:
    """The hazards of ``table``: one row per located row with a title."""
    fields = _pick(table, HAZARD_FIELDS, given or {})
    if "title" not in fields:
        raise GeoError(
            f"{table.file_name} has no title column: name it title, 标题 or 隐患名称 (or pass --name-field). "
            f"Its columns are: {', '.join(map(str, table.frame.columns))}."
        )
    frame = _base(table, fields)
    for role in ("code", "title", "category", "description", "reported_by"):
        frame[role] = _column(table, fields, role).replace("", None)
    frame["category"] = frame["category"].fillna("other")
    frame["severity"] = levels(_column(table, fields, "severity"))
    notes: list[str] = list(table.notes)
    for role in ("reported_at", "due_at"):
        if role in fields:
            frame[role], more = _times(table, fields, role, timezone)
            notes += more
        else:
            frame[role] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    frame["state"], more = _states(table, fields)
    notes += more
    located, missing = _require_located(table, "hazards")
    titled = np.asarray(frame["title"].notna())
    if (~titled).any():
        notes.append(f"{table.file_name}: rows {row_list(~titled)} have no title and were not imported.")
    keep = located & titled
    counts = {
        "rows": len(frame),
        "features": int(keep.sum()),
        "without_coordinates": int((~located).sum()),
        "without_title": int((~titled).sum()),
    }
    return Points(frame[keep].reset_index(drop=True), fields, counts, notes + missing)
