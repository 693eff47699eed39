"""The patrol coverage document: per grid, and aggregated per district and precinct, for a time window.

``coverage_document`` reads the current grids (of one precinct, or all), the fixes of the window near them and
their key places, and hands them to :func:`geo.coverage.grid_coverage`. District and precinct figures follow the
grids' ``district_code`` / ``precinct_code``; their coverage is area-weighted.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.errors import BadRequest
from api.scope import boundary_condition, read_precinct
from api.services.patrols import load_fixes
from api.services.store import load_layer
from geo.coverage import DEFAULT_RADIUS_M, MAX_STEP_M, grid_coverage
from geo.times import get_zone

__all__ = ["coverage_document", "aggregate"]

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
    return [
        {
            "code": r.code,
            "name": r.name,
            "district": r.district_code,
            "precinct": r.precinct_code,
            "area_m2": round(float(r.area_m2), 1),
            "coverage": round(float(r.coverage), 4),
            "last_patrol_at": _iso(r.last_patrol_t, zone),
            "fixes": int(r.fixes),
            "minutes": round(float(r.minutes), 1),
            "key_places": int(r.key_places),
            "key_places_visited": None if pd.isna(r.key_places_visited) else round(float(r.key_places_visited), 4),
        }
        for r in table.itertuples(index=False)
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
) -> dict[str, Any]:
    """``{"from", "to", "radius_m", "grids", "districts", "precincts"}`` (+ ``idle_grids`` with ``idle_hours``).

    Times are written in ``timezone`` (default Asia/Shanghai). ``idle_grids`` lists the grids with no fix inside
    since ``to − idle_hours`` (within the window).
    """
    _check(start, end, radius)
    precinct = read_precinct(precinct)
    zone = get_zone(timezone)
    where, params = (boundary_condition("grids", param="p"), {"p": precinct}) if precinct else ("", {})
    grids = load_layer(session, "grids", where=where, params=params)
    doc: dict[str, Any] = {"from": start.astimezone(zone).isoformat(), "to": end.astimezone(zone).isoformat(),
                           "radius_m": radius, "precinct": precinct}  # fmt: skip
    table = pd.DataFrame(grids.drop(columns="geometry"))
    if len(grids):
        bbox = _margin(grids.total_bounds, radius + MAX_STEP_M)
        fixes = load_fixes(session, start, end, bbox)
        codes = [str(c) for c in grids["code"]]
        figures = grid_coverage(grids.geometry.values, fixes, radius=radius, key_places=_key_places(session, codes))
        table = pd.concat([table.reset_index(drop=True), figures], axis=1)
        doc["fixes"] = len(fixes)
    else:
        doc["fixes"] = 0
        table = table.assign(area_m2=[], coverage=[], fixes=[], minutes=[], last_patrol_t=[], key_places=[],
                             key_places_visited=[])  # fmt: skip
    doc["grids"] = _grid_entries(table, zone)
    doc["districts"] = aggregate(table, "district_code", zone, _names(session, "district"))
    doc["precincts"] = aggregate(table, "precinct_code", zone, _names(session, "precinct"))
    if idle_hours is not None:
        doc["idle_hours"] = idle_hours
        doc["idle_grids"] = _idle(table, end, idle_hours, zone)
    return doc
