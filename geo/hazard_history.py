"""A hazard ledger's history — one row per change of state — read and checked against the lifecycle.

Systems that ran the 发现 → 研判 → 推送 → 处置 → 反馈 loop before keep each hazard's steps; importing them with
the hazards keeps who did what and when. Columns (English or Chinese names): ``hazard_code``, ``to_state``,
``at``, and optionally ``seq``, ``from_state``, ``actor``, ``note``. Every hazard's steps must start with
``reported``, follow the lifecycle, and end in the state its hazard row gives; any row that does not is an
error naming the row, and nothing is stored.

>>> import pandas as pd
>>> rows = pd.DataFrame({"hazard_code": ["H1", "H1"], "to_state": ["reported", "已驳回"],
...                      "at": ["2026-10-15 06:10", "2026-10-15 16:19"]})
>>> events = check_history(rows, "events.csv", {"H1": "rejected"}, "Asia/Shanghai")
>>> events[["hazard_code", "seq", "from_state", "to_state"]].values.tolist()
[['H1', 1, None, 'reported'], ['H1', 2, 'reported', 'rejected']]
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import GeoError
from geo.lifecycle import TransitionError, check_transition, parse_state
from geo.tables import find_column, read_table
from geo.times import parse_times

__all__ = ["read_history", "check_history", "HISTORY_FIELDS"]

HISTORY_FIELDS: dict[str, tuple[str, ...]] = {
    "hazard_code": ("hazard_code", "hazard", "隐患编号", "隐患编码", "编号"),
    "seq": ("seq", "step", "序号", "步骤"),
    "from_state": ("from_state", "from", "原状态"),
    "to_state": ("to_state", "state", "to", "状态", "新状态"),
    "actor": ("actor", "by", "user", "经办人", "处理人", "操作人"),
    "at": ("at", "time", "timestamp", "时间", "处理时间", "操作时间"),
    "note": ("note", "notes", "remark", "备注", "说明", "意见"),
}
_REQUIRED = ("hazard_code", "to_state", "at")


def read_history(
    path: Path,
    states: Mapping[str, str],
    timezone: str | None,
    encoding: str | None = None,
    stored: Collection[str] = (),
) -> pd.DataFrame:
    """The checked history in ``path`` (CSV or XLSX) of the hazards ``states`` (code → state in the hazard
    file); see :func:`check_history`."""
    frame, _, _ = read_table(path, path.name, encoding=encoding)
    return check_history(frame, path.name, states, timezone, stored)


def _fail(name: str, rows: pd.Series, bad: np.ndarray, what: str) -> None:
    """Refuse the file when ``bad`` holds anywhere, naming those rows (``rows``: their numbers in the file)."""
    if bad.any():
        numbers = rows.to_numpy()[bad].tolist()
        more = f" and {len(numbers) - 20} more" if len(numbers) > 20 else ""
        raise GeoError(f"{name}: rows {', '.join(map(str, numbers[:20]))}{more}: {what}. Nothing was imported.")


def check_history(
    frame: pd.DataFrame, name: str, states: Mapping[str, str], timezone: str | None, stored: Collection[str] = ()
) -> pd.DataFrame:
    """Columns ``hazard_code, seq, from_state, to_state, actor, at, note`` (``seq`` 1, 2 … per hazard, in the
    order of ``seq`` when given, else of ``at``). Raises :class:`GeoError` for a row that breaks the lifecycle.

    ``stored``: codes of the hazard file that were stored before (and are left as they are): their steps are
    left out, so that importing the same two files again changes nothing."""
    columns = list(frame.columns)
    found = {role: find_column(columns, names) for role, names in HISTORY_FIELDS.items()}
    missing = [role for role in _REQUIRED if found[role] is None]
    if missing:
        raise GeoError(
            f"{name} has no {', '.join(missing)} column: a hazard history needs hazard_code, to_state and at "
            f"(optional: seq, from_state, actor, note). Its columns are: {', '.join(map(str, columns))}."
        )

    def column(role: str) -> pd.Series:
        source = found[role]
        return frame[source].astype(str).str.strip() if source else pd.Series("", index=frame.index)

    out = pd.DataFrame({"hazard_code": column("hazard_code"), "row": np.arange(1, len(frame) + 1)})
    keep = ~out["hazard_code"].isin(list(stored))
    out, frame = out[keep].reset_index(drop=True), frame[keep].reset_index(drop=True)
    for role in ("to_state", "from_state"):
        text = column(role)
        out[role] = pd.Series([parse_state(v) if v else None for v in text], index=frame.index, dtype=object)
        _fail(name, out["row"], np.asarray(text.ne("") & out[role].isna()), f"{role} is not a hazard state")
    _fail(name, out["row"], np.asarray(out["to_state"].isna()), "to_state is empty")
    parsed = parse_times(column("at"), timezone)
    _fail(name, out["row"], np.asarray(parsed.times.isna()), "at is not a time")
    out["at"] = parsed.times
    seq = pd.to_numeric(column("seq").replace("", None), errors="coerce")
    _fail(name, out["row"], np.asarray(column("seq").ne("") & seq.isna()), "seq is not a number")
    out["order"] = seq.fillna(0)
    out["actor"] = column("actor").replace("", None)
    out["note"] = column("note").replace("", None)
    _fail(name, out["row"], np.asarray(~out["hazard_code"].isin(list(states))), "the hazard is not in the hazard file")
    out = out.sort_values(["hazard_code", "order", "at", "row"], kind="stable")
    out["seq"] = out.groupby("hazard_code").cumcount() + 1
    out["from_state"] = _check_chains(out, name, states)
    return out[["hazard_code", "seq", "from_state", "to_state", "actor", "at", "note"]].reset_index(drop=True)


def _check_chains(events: pd.DataFrame, name: str, states: Mapping[str, str]) -> pd.Series:
    """Each hazard's steps start at ``reported``, follow the lifecycle and end in its stated state. Returns
    each step's ``from_state`` (the previous step's state)."""
    previous: str | None = None
    code: str | None = None
    froms = []
    for row in events.itertuples():
        if row.hazard_code != code:
            if code is not None and previous != states[code]:
                raise GeoError(f"{name}: hazard {code}'s last step leaves it {previous}, but the hazard file "
                               f"says {states[code]}: add the missing steps or correct its state.")  # fmt: skip
            code, previous = row.hazard_code, None
        given = row.from_state
        if given is not None and given != previous:
            raise GeoError(f"{name}: row {row.row}: hazard {code} goes from {given}, but its previous step left it "
                           f"{previous or 'not yet reported'}.")  # fmt: skip
        if previous is None and row.to_state != "reported":
            raise GeoError(f"{name}: row {row.row}: hazard {code}'s first step must be reported, not {row.to_state}.")
        if previous is not None:
            try:
                check_transition(previous, row.to_state)
            except TransitionError as exc:
                raise GeoError(f"{name}: row {row.row}: hazard {code}: {exc}.") from None
        froms.append(previous)
        previous = row.to_state
    if code is not None and previous != states[code]:
        raise GeoError(f"{name}: hazard {code}'s last step leaves it {previous}, but the hazard file says "
                       f"{states[code]}: add the missing steps or correct its state.")  # fmt: skip
    return pd.Series(froms, index=events.index, dtype=object)
