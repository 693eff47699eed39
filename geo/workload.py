"""Workload balance per district and the 两个40% staffing check per precinct.

Each grid counts towards its owner district (``basis="owner"``, as after a snap proposal) or towards every
district it meets in proportion to its share (``basis="share"``). Per district: grids, area, households and
population (grid columns ``households`` / ``population`` when present), key places, open hazards and
incidents (point GeoDataFrames, or per-grid counts keyed by grid code), officers and auxiliaries
(district columns ``officers`` / ``auxiliaries``), the relative deviation of each figure from the mean of
the precinct's districts, Polsby-Popper compactness 4πA/P² and the number of parts. Per precinct: community
police (sum of its districts' officers) against the precinct's police (column ``police``); the rule wants at
least 40 %, ``"unknown"`` when a count is missing.

>>> import geopandas as gpd
>>> box = shapely.box
>>> grids = gpd.GeoDataFrame(
...     {"code": ["g1", "g2"], "households": [200, 300]},
...     geometry=[box(114.80, 37.70, 114.81, 37.71), box(114.81, 37.70, 114.82, 37.71)],
...     crs=4326,
... )
>>> districts = gpd.GeoDataFrame({"code": ["d1"]}, geometry=[box(114.80, 37.70, 114.82, 37.71)], crs=4326)
>>> workload(grids, districts)["districts"][0]["households"]
500.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.align import Alignment, compute
from geo.errors import GeoError
from geo.shares import lonlat_frame

__all__ = ["workload", "per_grid_counts", "TWO_40"]

TWO_40 = 0.4
Counts = Union[gpd.GeoDataFrame, pd.Series, Mapping[str, float], None]  # noqa: UP007 (a runtime alias)
FIGURES = ("grids", "area_m2", "households", "population", "key_places", "open_hazards", "incidents")


def workload(
    grids: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    precincts: gpd.GeoDataFrame | None = None,
    *,
    result: Alignment | None = None,
    key_places: Counts = None,
    hazards: Counts = None,
    incidents: Counts = None,
    basis: str = "owner",
    tolerance: float = 0.01,
) -> dict[str, Any]:
    """``{"basis", "districts": [...], "precincts": [...]}``; see the module docstring."""
    if basis not in ("owner", "share"):
        raise GeoError(f"basis {basis!r} is unknown: use 'owner' or 'share'")
    state = result or compute(grids, districts, precincts, tolerance=tolerance, findings=False)
    weights = _weights(state, basis)
    per_grid = {
        "grids": np.ones(len(state.grids)),
        "area_m2": state.grids.areas,
        "households": _column(state.grids.attrs, "households"),
        "population": _column(state.grids.attrs, "population"),
        "key_places": per_grid_counts(state, key_places),
        "open_hazards": per_grid_counts(state, _open(hazards)),
        "incidents": per_grid_counts(state, incidents),
    }
    n = len(state.districts)
    figures = {k: (None if v is None else _aggregate(weights, v, n)) for k, v in per_grid.items()}
    rows = _district_rows(state, figures)
    return {"basis": basis, "districts": rows, "precincts": _precinct_rows(state, rows, precincts)}


def per_grid_counts(state: Alignment, given: Counts) -> NDArray[np.float64] | None:
    """Per-grid counts from points (each point counted in one grid) or from a code → count mapping."""
    if given is None:
        return None
    codes = state.grids.codes
    if isinstance(given, gpd.GeoDataFrame):
        points = state.metric.to_metric(np.asarray(lonlat_frame_points(given).geometry.values))
        i, g = state.tree.query(points, predicate="intersects")
        _, first = np.unique(i, return_index=True)  # a point on a shared edge counts once
        counts: NDArray[np.float64] = np.bincount(g[first], minlength=codes.size).astype(np.float64)
        return counts
    series = pd.Series(given, dtype="float64")
    series.index = series.index.astype(str)
    return series.reindex(codes.astype(str)).fillna(0.0).to_numpy()


def lonlat_frame_points(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if points.crs is not None and not points.crs.equals("EPSG:4326"):
        points = points.to_crs(4326)
    return points[~(points.geometry.isna() | points.geometry.is_empty)]


def _open(hazards: Counts) -> Counts:
    if isinstance(hazards, gpd.GeoDataFrame) and "status" in hazards.columns:
        return hazards[~hazards["status"].isin(["closed", "rejected"])]
    return hazards


def _column(attrs: dict[str, NDArray[Any]], name: str) -> NDArray[np.float64] | None:
    if name not in attrs:
        return None
    return pd.to_numeric(pd.Series(attrs[name]), errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)


Weights = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]


def _weights(state: Alignment, basis: str) -> Weights:
    """(grid, district, weight) triples: owner gets 1, or every district its share."""
    if basis == "owner":
        g = np.flatnonzero(state.owner >= 0).astype(np.int64)
        return g, state.owner[g], np.ones(g.size)
    p = state.pairs
    return p.grid, p.district, p.area / state.grids.areas[p.grid]


def _aggregate(weights: Weights, values: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    g, d, w = weights
    return np.bincount(d, weights=w * values[g], minlength=n).astype(np.float64)


def _shape_figures(geoms: NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    area, perimeter = shapely.area(geoms), shapely.length(geoms)
    with np.errstate(divide="ignore", invalid="ignore"):
        compact = np.where(perimeter > 0, 4.0 * np.pi * area / perimeter**2, 0.0)
    return compact, shapely.get_num_geometries(geoms)


def _district_rows(state: Alignment, figures: dict[str, Any]) -> list[dict[str, Any]]:
    d = state.districts
    compact, parts = _shape_figures(d.geoms)
    staff = {k: _column(d.attrs, k) for k in ("officers", "auxiliaries")}
    rows = []
    for k in sorted(state.shown.tolist()):
        row: dict[str, Any] = {"code": str(d.codes[k]), "precinct": d.parents[k]}
        for name, values in figures.items():
            row[name] = None if values is None else round(float(values[k]), 2)
        for name, values in staff.items():
            row[name] = None if values is None else int(values[k])
        row["compactness"] = round(float(compact[k]), 4)
        row["parts"] = int(parts[k])
        rows.append(row)
    _deviations(rows)
    return rows


def _deviations(rows: list[dict[str, Any]]) -> None:
    """Relative deviation of each figure from its precinct's mean (None when the mean is 0 or unknown)."""
    frame = pd.DataFrame(rows)
    frame["precinct"] = frame["precinct"].fillna("")
    for row in rows:
        row["deviation"] = {}
    for name in FIGURES:
        if frame[name].isna().all():
            continue
        means = frame.groupby("precinct")[name].transform("mean")
        for row, value, mean in zip(rows, frame[name], means, strict=True):
            row["deviation"][name] = round(float(value / mean - 1.0), 4) if mean else None


def _precinct_rows(
    state: Alignment, rows: list[dict[str, Any]], precincts: gpd.GeoDataFrame | None
) -> list[dict[str, Any]]:
    police = _police(precincts)
    out = []
    for code in sorted({r["precinct"] for r in rows if r["precinct"] is not None}):
        mine = [r for r in rows if r["precinct"] == code]
        officers = [r["officers"] for r in mine]
        community = None if any(o is None for o in officers) else int(sum(officers))
        total = police.get(code)
        share = community / total if community is not None and total else None
        entry: dict[str, Any] = {"code": code, "districts": len(mine)}
        for name in ("grids", "households", "population", "officers", "auxiliaries"):
            values = [r[name] for r in mine]
            entry[name] = None if any(v is None for v in values) else sum(values)
        entry["police"] = total
        entry["community_police_share"] = None if share is None else round(share, 4)
        entry["two_40"] = "unknown" if share is None else "ok" if share >= TWO_40 else "below"
        out.append(entry)
    return out


def _police(precincts: gpd.GeoDataFrame | None) -> dict[str, int | None]:
    if precincts is None or "police" not in precincts.columns:
        return {}
    frame = lonlat_frame(precincts, "precincts")
    values = pd.to_numeric(frame["police"], errors="coerce")
    return {c: (None if pd.isna(v) else int(v)) for c, v in zip(frame["code"], values, strict=True)}
