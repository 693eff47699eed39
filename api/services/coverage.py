"""The patrol coverage document: per grid, and aggregated per district and precinct, for a time window.

``coverage_document`` reads the current grids (of one precinct, or all), the fixes of the window near them and
their key places, and hands them to :func:`geo.coverage.grid_coverage`. District and precinct figures follow the
grids' ``district_code`` / ``precinct_code``; their coverage is area-weighted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, tzinfo
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.errors import BadRequest
from api.scope import boundary_condition, read_precinct
from api.services.patrols import load_fixes
from api.services.store import load_layer
from geo._raster import grid_raster
from geo.coverage import DEFAULT_RADIUS_M, MAX_STEP_M, grid_coverage
from geo.times import get_zone

__all__ = ["coverage_document", "coverage_plan", "aggregate"]

_M_PER_DEG = 111_320.0


def _check(start: datetime, end: datetime, radius: float) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise BadRequest("from and to need a time zone")
    if end <= start:
        raise BadRequest(f"the window is empty: from {start.isoformat()} is not before to {end.isoformat()}")
    if not 1.0 <= radius <= 5000.0:
        raise BadRequest(f"radius must be between 1 and 5000 metres, got {radius}")


def _margin(bounds: np.ndarray, metres: float) -> tuple[float, float, float, float]:
    lat = max(abs(bounds[1]), abs(bounds[3]))
    dlat = metres / _M_PER_DEG
    dlon = metres / (_M_PER_DEG * max(math.cos(math.radians(lat)), 0.01))
    return bounds[0] - dlon, bounds[1] - dlat, bounds[2] + dlon, bounds[3] + dlat


def _key_places(session: Session, codes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = session.execute(
        text("SELECT ST_X(geom), ST_Y(geom), grid_code FROM key_place WHERE grid_code = ANY(:c)"), {"c": codes}
    ).all()
    index = {code: i for i, code in enumerate(codes)}
    lon = np.array([r[0] for r in rows], dtype=np.float64)
    lat = np.array([r[1] for r in rows], dtype=np.float64)
    return lon, lat, np.array([index[r[2]] for r in rows], dtype=np.int64)


def _iso(seconds: float, zone: tzinfo) -> str | None:
    if seconds is None or not np.isfinite(seconds):
        return None
    return datetime.fromtimestamp(float(seconds), zone).isoformat()


def _names(session: Session, table: str) -> dict[str, str | None]:
    rows = session.execute(text(f"SELECT code, name FROM {table} WHERE valid_to IS NULL")).all()
    return {r[0]: r[1] for r in rows}


def aggregate(table: pd.DataFrame, key: str, zone: tzinfo, names: dict[str, str | None]) -> list[dict[str, Any]]:
    """Per value of ``key``: area-weighted, mean and lowest coverage, grids not patrolled, fixes, minutes …"""
    part = table[table[key].notna()]
    if part.empty:
        return []
    # One grouped pass over prepared columns (a thousand districts, one pandas call each, took seconds).
    sums = pd.DataFrame(
        {
            "key": part[key].astype(str).to_numpy(),
            "area": part["area_m2"].astype(float).to_numpy(),
            "weighted": (part["coverage"] * part["area_m2"]).astype(float).to_numpy(),
            "coverage": part["coverage"].astype(float).to_numpy(),
            "zero": (part["coverage"] == 0).astype(int).to_numpy(),
            "fixes": part["fixes"].astype(int).to_numpy(),
            "minutes": part["minutes"].astype(float).to_numpy(),
            "last": part["last_patrol_t"].astype(float).to_numpy(),
            "kp": part["key_places"].astype(int).to_numpy(),
            "visited": (part["key_places_visited"].fillna(0) * part["key_places"]).astype(float).to_numpy(),
        }
    ).groupby("key", sort=True)
    g = sums.agg(
        grids=("area", "size"), area=("area", "sum"), weighted=("weighted", "sum"), mean=("coverage", "mean"),
        low=("coverage", "min"), zero=("zero", "sum"), fixes=("fixes", "sum"), minutes=("minutes", "sum"),
        last=("last", "max"), kp=("kp", "sum"), visited=("visited", "sum"),
    )  # fmt: skip
    out = []
    for code, r in zip(g.index, g.itertuples(index=False), strict=True):
        area, kp = float(r.area), int(r.kp)
        out.append({
            "code": str(code),
            "name": names.get(str(code)),
            "grids": int(r.grids),
            "area_m2": round(area, 1),
            "coverage": round(float(r.weighted) / area, 4) if area else 0.0,
            "mean_coverage": round(float(r.mean), 4),
            "min_coverage": round(float(r.low), 4),
            "grids_not_patrolled": int(r.zero),
            "fixes": int(r.fixes),
            "minutes": round(float(r.minutes), 1),
            "last_patrol_at": _iso(float(r.last), zone),
            "key_places": kp,
            "key_places_visited": round(float(r.visited) / kp, 4) if kp else None,
        })  # fmt: skip
    return out


def _grid_entries(table: pd.DataFrame, zone: tzinfo) -> list[dict[str, Any]]:
    # Plain column lists zipped (a namedtuple per row cost as much as the rest of the document).
    columns = ("code", "name", "district_code", "precinct_code", "area_m2", "coverage", "last_patrol_t", "fixes",
               "minutes", "key_places", "key_places_visited")  # fmt: skip
    return [
        {
            "code": code,
            "name": name,
            "district": district,
            "precinct": precinct,
            "area_m2": round(float(area), 1),
            "coverage": round(float(coverage), 4),
            "last_patrol_at": _iso(last, zone),
            "fixes": int(fixes),
            "minutes": round(float(minutes), 1),
            "key_places": int(places),
            "key_places_visited": None if visited is None or visited != visited else round(float(visited), 4),
        }
        for code, name, district, precinct, area, coverage, last, fixes, minutes, places, visited in zip(
            *(table[c].tolist() for c in columns), strict=True
        )
    ]


def _idle(table: pd.DataFrame, end: datetime, hours: float, zone: tzinfo) -> list[dict[str, Any]]:
    limit = (end - timedelta(hours=hours)).timestamp()
    idle = table[~(table["last_patrol_t"] >= limit)]
    return [{"code": r.code, "last_patrol_at": _iso(r.last_patrol_t, zone)} for r in idle.itertuples(index=False)]


def coverage_document(
    session: Session,
    start: datetime,
    end: datetime,
    radius: float = DEFAULT_RADIUS_M,
    precinct: str | None = None,
    idle_hours: float | None = None,
    timezone: str | None = None,
    *,
    grids: gpd.GeoDataFrame | None = None,
) -> dict[str, Any]:
    """``{"from", "to", "radius_m", "grids", "districts", "precincts"}`` (+ ``idle_grids`` with ``idle_hours``).

    Times are written in ``timezone`` (default Asia/Shanghai). ``idle_grids`` lists the grids with no fix inside
    since ``to − idle_hours`` (within the window). ``grids`` is the current grid layer when the caller has loaded
    it already (the whole city only: a precinct's grids are chosen here).
    """
    return coverage_plan(session, start, end, radius, precinct, idle_hours, timezone, grids=grids)()


def coverage_plan(
    session: Session,
    start: datetime,
    end: datetime,
    radius: float = DEFAULT_RADIUS_M,
    precinct: str | None = None,
    idle_hours: float | None = None,
    timezone: str | None = None,
    *,
    grids: gpd.GeoDataFrame | None = None,
) -> Callable[[], dict[str, Any]]:
    """:func:`coverage_document` in two steps: every read on ``session`` now, and a call that computes the
    document from them without the session (so it may run in another thread)."""
    _check(start, end, radius)
    precinct = read_precinct(precinct)
    zone = get_zone(timezone)
    if grids is None or precinct is not None:
        where, params = (boundary_condition("grids", param="p"), {"p": precinct}) if precinct else ("", {})
        grids = load_layer(session, "grids", where=where, params=params)
    doc: dict[str, Any] = {"from": start.astimezone(zone).isoformat(), "to": end.astimezone(zone).isoformat(),
                           "radius_m": radius, "precinct": precinct}  # fmt: skip
    fixes, places, raster = None, None, None
    if len(grids):
        # The grids' raster needs no fixes: it is computed while the fixes are read (PROJ and the scanline
        # kernel release the GIL).
        early = ThreadPoolExecutor(1)
        raster = early.submit(grid_raster, grids.geometry.values, radius)
        early.shutdown(wait=False)  # the thread ends with the raster
        fixes = load_fixes(session, start, end, _margin(grids.total_bounds, radius + MAX_STEP_M))
        places = _key_places(session, [str(c) for c in grids["code"]])
    names = {"district_code": _names(session, "district"), "precinct_code": _names(session, "precinct")}

    def run() -> dict[str, Any]:
        table = pd.DataFrame(grids.drop(columns="geometry"))
        if fixes is not None:
            figures = grid_coverage(grids.geometry.values, fixes, radius=radius, key_places=places,
                                    raster=raster.result() if raster is not None else None)  # fmt: skip
            table = pd.concat([table.reset_index(drop=True), figures], axis=1)
            doc["fixes"] = len(fixes)
        else:
            doc["fixes"] = 0
            table = table.assign(area_m2=[], coverage=[], fixes=[], minutes=[], last_patrol_t=[], key_places=[],
                                 key_places_visited=[])  # fmt: skip
        doc["grids"] = _grid_entries(table, zone)
        doc["districts"] = aggregate(table, "district_code", zone, names["district_code"])
        doc["precincts"] = aggregate(table, "precinct_code", zone, names["precinct_code"])
        if idle_hours is not None:
            doc["idle_hours"] = idle_hours
            doc["idle_grids"] = _idle(table, end, idle_hours, zone)
        return doc

    return run
