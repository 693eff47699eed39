"""The alignment document (DESIGN.md) built from an :class:`geo.align.Alignment` state.

Shares are rounded to 4 decimals here only; statuses were decided at full precision. Lists are sorted by
code. Extra keys beyond DESIGN.md: grids carry ``precinct``; districts carry ``name``, ``partial_grids``,
``outside_precinct_m2``, ``precinct_share``, ``precinct_status`` and ``precinct_shares``; a ``precincts``
list gives counts per precinct.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from geo.overlaps import entries

if TYPE_CHECKING:
    from geo.align import Alignment

__all__ = ["document", "grid_entries", "district_entries", "precinct_entries", "summary"]


Rows = list[dict[str, Any]]


def document(state: Alignment, parts: tuple[Rows, Rows] | None = None) -> dict[str, Any]:
    """The whole alignment document for ``state``; ``parts``: its grid and district entries, when already
    built."""
    gaps = entries(state.gaps, state.metric, state.sliver_area_m2, state.sliver_width_m)
    overlaps = entries(state.overlaps, state.metric, state.sliver_area_m2, state.sliver_width_m)
    grids, districts = parts if parts is not None else (grid_entries(state), district_entries(state))
    return {
        "tolerance": state.tolerance,
        "summary": summary(state),
        "grids": grids,
        "districts": districts,
        "precincts": precinct_entries(state),
        "gaps": gaps,
        "overlaps": overlaps,
    }


def _counts(status: np.ndarray) -> dict[str, Any]:
    n = int(status.size)
    whole = int((status == "whole").sum())
    return {
        "grids": n,
        "whole": whole,
        "split": int((status == "split").sum()),
        "orphan": int((status == "orphan").sum()),
        "alignment_rate": round(whole / n, 4) if n else None,
    }


def summary(state: Alignment) -> dict[str, Any]:
    out = _counts(state.status)
    out["gap_area_m2"] = round(state.gaps.area(), 2)
    out["overlap_area_m2"] = round(state.overlaps.area(), 2)
    return out


def _pairs(state: Alignment, mask: np.ndarray | None) -> tuple[list[int], list[int], list[float]]:
    p = state.pairs
    g, d, a = (p.grid, p.district, p.area) if mask is None else (p.grid[mask], p.district[mask], p.area[mask])
    return g.tolist(), d.tolist(), (a / state.grids.areas[g]).tolist()


def _shares_by_grid(state: Alignment, which: np.ndarray | None) -> dict[int, list[tuple[int, float]]]:
    mask = None if which is None else np.isin(state.pairs.grid, which)
    by_grid: dict[int, list[tuple[int, float]]] = {}
    for g, d, s in zip(*_pairs(state, mask), strict=True):
        by_grid.setdefault(g, []).append((d, s))
    return by_grid


def grid_entries(state: Alignment, which: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Grid entries (all grids, or the indices ``which``), sorted by code; shares largest first."""
    g, dcodes = state.grids, state.districts.codes
    by_grid = _shares_by_grid(state, which)
    out = []
    for k in range(len(g)) if which is None else sorted(int(i) for i in which):
        shares = sorted(by_grid.get(k, []), key=lambda ds: (-round(ds[1], 9), ds[0]))
        owner = int(state.owner[k])
        out.append(
            {
                "code": str(g.codes[k]),
                "name": g.names[k],
                "status": str(state.status[k]),
                "owner": str(dcodes[owner]) if owner >= 0 else None,
                "precinct": state.grid_precinct[k],
                "shares": [{"district": str(dcodes[d]), "share": round(s, 4)} for d, s in shares],
            }
        )
    return out


Members = dict[int, list[str]]


def _district_members(state: Alignment, which: np.ndarray) -> tuple[Members, Members]:
    whole: Members = {}
    partial: Members = {}
    codes = state.grids.codes
    mask = None if which.size == len(state.districts) else np.isin(state.pairs.district, which)
    for g, d, s in zip(*_pairs(state, mask), strict=True):
        if state.owner[g] == d and state.status[g] == "whole":
            whole.setdefault(d, []).append(str(codes[g]))
        elif s >= state.tolerance:
            partial.setdefault(d, []).append(str(codes[g]))
    return whole, partial


def _district_precinct(state: Alignment, k: int) -> dict[str, Any]:
    """Where district ``k`` lies against the precincts (all None without a precinct layer)."""
    none: dict[str, Any] = {"outside_precinct_m2": None, "precinct_share": None, "precinct_status": None}
    none["precinct_shares"] = []
    dp, p = state.district_pairs, state.precincts
    if dp is None or p is None:
        return none
    area = float(state.districts.areas[k])
    rows = np.flatnonzero(dp.grid == k)
    shares = sorted(((float(dp.area[r]) / area, str(p.codes[dp.district[r]])) for r in rows), reverse=True)
    own = state.districts.parents[k]
    inside = sum(s for s, c in shares if c == own) if own is not None else None
    best, total = (shares[0][0] if shares else 0.0), sum(s for s, _ in shares)
    tol = state.tolerance
    status = "whole" if best >= 1 - tol else "orphan" if total < tol else "split"
    return {
        "outside_precinct_m2": None if inside is None else round(max(area * (1.0 - inside), 0.0), 2),
        "precinct_share": None if inside is None else round(inside, 4),
        "precinct_status": status,
        "precinct_shares": [{"precinct": c, "share": round(s, 4)} for s, c in shares],
    }


def district_entries(state: Alignment, which: np.ndarray | None = None) -> list[dict[str, Any]]:
    """District entries for the districts shown (or the indices ``which``), sorted by code."""
    d = state.districts
    which = np.asarray(state.shown if which is None else which, dtype=np.int64)
    whole, partial = _district_members(state, which)
    out = []
    for k in sorted(which.tolist()):
        entry = {
            "code": str(d.codes[k]),
            "name": d.names[k],
            "precinct": d.parents[k],
            "grids": sorted(whole.get(k, [])),
            "area_m2": round(float(d.areas[k]), 2),
            "partial_grids": sorted(partial.get(k, [])),
        }
        entry.update(_district_precinct(state, k))
        out.append(entry)
    return out


def precinct_entries(state: Alignment, which: set[str] | None = None) -> list[dict[str, Any]]:
    """Counts per precinct (the grids whose owner district, or location, is in it)."""
    codes = set(state.districts.parents[state.shown].tolist()) - {None}
    if state.precincts is not None:
        codes |= set(state.precincts.codes.tolist()) if state.scope is None else {state.scope}
    gap_area = _area_by(state.gaps, "districts")
    over_area = _area_by(state.overlaps, "districts")
    out = []
    for code in sorted(codes if which is None else codes & which):
        entry: dict[str, Any] = {"code": code}
        entry.update(_counts(state.status[state.grid_precinct == code]))
        mine = state.districts.parents == code
        entry["districts"] = int(mine.sum())
        entry["gap_area_m2"] = round(gap_area.get(code, 0.0), 2)
        entry["overlap_area_m2"] = round(over_area.get(code, 0.0), 2)
        out.append(entry)
    return out


def _area_by(found: Any, level: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for lvl, prec, geom in zip(found.level, found.precinct, found.geoms, strict=True):
        if lvl == level and prec is not None:
            totals[prec] = totals.get(prec, 0.0) + float(geom.area)
    return totals
