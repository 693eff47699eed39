"""Snap proposal: every grid goes to its owner district; each proposed district is the union of its grids.

Per district the report lists the grids **gained** (owned by it but not whole in it: split or orphan grids)
and **lost** (holding at least ``tolerance`` of it but owned by another district), and the **area moved**:
the area of its owned grids lying outside it now plus the area of it lying in grids owned elsewhere.
Proposed geometries are unions of the original grid geometries, so where the grid layer has no gaps or
overlaps, neither have the proposed districts.

>>> import geopandas as gpd
>>> box = shapely.box
>>> grids = gpd.GeoDataFrame(
...     {"code": ["g1", "g2"]},
...     geometry=[box(114.80, 37.70, 114.81, 37.71), box(114.81, 37.70, 114.82, 37.71)],
...     crs=4326,
... )
>>> districts = gpd.GeoDataFrame(
...     {"code": ["d1", "d2"]},
...     geometry=[box(114.80, 37.70, 114.813, 37.71), box(114.813, 37.70, 114.82, 37.71)],
...     crs=4326,
... )
>>> result = propose(grids, districts)
>>> [(d["code"], d["gained"], d["lost"]) for d in result["districts"]]
[('d1', [], ['g2']), ('d2', ['g2'], [])]
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.align import Alignment, compute
from geo.errors import GeoError
from geo.metric import polygonal
from geo.shares import lonlat_frame

__all__ = ["propose", "Ownership"]

# per grid code: (area m², owner district code or None, {district code: share})
Ownership = dict[str, tuple[float, str | None, dict[str, float]]]


def propose(
    grids: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    result: Alignment | dict[str, Any] | None = None,
    *,
    tolerance: float = 0.01,
) -> dict[str, Any]:
    """The snap proposal for ``districts`` over ``grids``.

    ``result`` is an :class:`~geo.align.Alignment` (full precision), an alignment document (shares as
    rounded there; grid areas are recomputed) or None (computed here with ``tolerance``). Returns
    ``{"tolerance", "districts": [{"code", "precinct", "grids", "gained", "lost", "area_moved_m2",
    "area_before_m2", "area_after_m2"}], "unassigned": [grid codes], "geometries": GeoDataFrame}`` where
    ``geometries`` has ``code``, ``precinct_code``, the districts' other columns and MultiPolygons in 4326.
    """
    state = result if isinstance(result, Alignment) else compute(grids, districts, tolerance=tolerance)
    if isinstance(result, dict):
        tolerance = float(result.get("tolerance", tolerance))
        ownership = _from_document(result, state)
        shown = sorted(d["code"] for d in result["districts"])
    else:
        tolerance = state.tolerance
        ownership = _from_state(state)
        shown = [str(c) for c in state.districts.codes[state.shown]]
    parents = {str(c): p for c, p in zip(state.districts.codes, state.districts.parents, strict=True)}
    areas = {str(c): float(a) for c, a in zip(state.districts.codes, state.districts.areas, strict=True)}
    report = _reports(shown, parents, areas, ownership, tolerance)
    unassigned = sorted(g for g, (_, owner, _) in ownership.items() if owner is None)
    return {
        "tolerance": tolerance,
        "districts": report,
        "unassigned": unassigned,
        "geometries": _geometries(grids, districts, ownership, shown, parents),
    }


def _from_state(state: Alignment) -> Ownership:
    codes, dcodes = state.grids.codes, state.districts.codes
    shares: dict[int, dict[str, float]] = {}
    p = state.pairs
    for g, d, a in zip(p.grid.tolist(), p.district.tolist(), p.area.tolist(), strict=True):
        shares.setdefault(g, {})[str(dcodes[d])] = a / float(state.grids.areas[g])
    return {
        str(codes[k]): (
            float(state.grids.areas[k]),
            str(dcodes[state.owner[k]]) if state.owner[k] >= 0 else None,
            shares.get(k, {}),
        )
        for k in range(len(state.grids))
    }


def _from_document(doc: dict[str, Any], state: Alignment) -> Ownership:
    index = state.grids.index()
    out: Ownership = {}
    for entry in doc["grids"]:
        if entry["code"] not in index:
            raise GeoError(f"grid {entry['code']!r} of the alignment document is not in the grid layer")
        area = float(state.grids.areas[index[entry["code"]]])
        shares = {s["district"]: float(s["share"]) for s in entry["shares"]}
        out[entry["code"]] = (area, entry["owner"], shares)
    return out


def _reports(
    shown: list[str], parents: dict[str, str | None], areas: dict[str, float], own: Ownership, tol: float
) -> list[dict[str, Any]]:
    """One report per shown district, from a single pass over the grids."""
    rep: dict[str, dict[str, Any]] = {
        c: {"code": c, "precinct": parents.get(c), "grids": 0, "gained": [], "lost": []} for c in shown
    }
    for r in rep.values():
        r["moved"] = r["after"] = 0.0
    for grid, (area, owner, shares) in own.items():
        if owner in rep:
            r, share = rep[owner], shares.get(owner, 0.0)
            r["grids"] += 1
            r["after"] += area
            r["moved"] += area * max(0.0, 1.0 - share)
            if share < 1.0 - tol:
                r["gained"].append(grid)
        for code, share in shares.items():
            if code != owner and code in rep and share > 0.0:
                rep[code]["moved"] += area * share
                if share >= tol:
                    rep[code]["lost"].append(grid)
    out = []
    for c in shown:
        r = rep[c]
        r["gained"], r["lost"] = sorted(r["gained"]), sorted(r["lost"])
        r["area_moved_m2"] = round(r.pop("moved"), 2)
        r["area_before_m2"] = round(areas.get(c, 0.0), 2)
        r["area_after_m2"] = round(r.pop("after"), 2)
        out.append(r)
    return out


def _union(geoms: np.ndarray) -> shapely.Geometry:
    """Union; the fast coverage union when the grids tile (valid coverage), the general one otherwise."""
    if shapely.coverage_is_valid(geoms):
        return shapely.coverage_union_all(geoms)
    return shapely.union_all(geoms)


def _geometries(
    grids: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    ownership: Ownership,
    shown: list[str],
    parents: dict[str, str | None],
) -> gpd.GeoDataFrame:
    """Proposed districts: unions of their grids' original lon/lat geometries, one MultiPolygon per code."""
    g = lonlat_frame(grids, "grids")
    owner = g["code"].map(lambda c: ownership.get(c, (0.0, None, {}))[1])
    rows = owner.reset_index(drop=True).groupby(owner.to_numpy(), sort=False).indices
    geoms = np.asarray(g.geometry.values, dtype=object)
    shapes = []
    for code in shown:
        mine = geoms[rows.get(code, np.empty(0, dtype=np.int64))]
        union = polygonal(_union(mine)) if mine.size else shapely.MultiPolygon()
        shapes.append(union if isinstance(union, shapely.MultiPolygon) else shapely.MultiPolygon([union]))
    d = lonlat_frame(districts, "districts").drop_duplicates("code").set_index("code")
    attrs = d.drop(columns=[d.geometry.name]).reindex(shown)
    attrs["precinct_code"] = [parents.get(c) for c in shown]
    frame = gpd.GeoDataFrame(attrs.reset_index(), geometry=shapes, crs="EPSG:4326")
    return frame
