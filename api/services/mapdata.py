"""Read-only figures the web map draws: per-grid counts, one grid's details, search, labels and the unit index.

Everything here is a plain read (no commit). Hazard states follow DESIGN.md: open = not closed/rejected; overdue =
open, not resolved, and past ``due_at``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.layers import LAYERS
from api.scope import boundary_condition, read_precinct, scope_precinct
from api.services.store import layer_version

__all__ = [
    "OPEN",
    "OVERDUE",
    "layer_versions",
    "precinct_index",
    "grid_figures",
    "grid_detail",
    "search_units",
    "label_points",
    "data_window",
    "grid_min_zoom",
]

# SQL conditions on a hazard row ``h`` (DESIGN.md "Hazard lifecycle").
OPEN = "h.state NOT IN ('closed', 'rejected')"
OVERDUE = f"{OPEN} AND h.state <> 'resolved' AND h.due_at IS NOT NULL AND h.due_at < now()"

Bbox = tuple[float, float, float, float]


def layer_versions(session: Session) -> dict[str, int]:
    """The current version of each boundary layer: tile URLs carry it so that caches never serve old tiles."""
    return {name: layer_version(session, name) for name in LAYERS}


def precinct_index(session: Session) -> list[dict[str, Any]]:
    """Current precincts (the user's own only, when limited to one), ordered by code, with their bounding boxes
    (for the picker and zooming)."""
    rows = session.execute(
        text(
            "SELECT code, name, ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1"
            " FROM (SELECT code, name, ST_Envelope(geom) e FROM precinct WHERE valid_to IS NULL"
            " AND (CAST(:scope AS text) IS NULL OR code = :scope)) p ORDER BY code"
        ),
        {"scope": read_precinct(None)},
    ).all()
    return [{"code": r.code, "name": r.name or r.code, "bbox": [r.x0, r.y0, r.x1, r.y1]} for r in rows]


def grid_figures(session: Session, precinct: str | None = None) -> dict[str, Any]:
    """Per current grid: key places, open hazards, overdue hazards — as compact rows keyed by grid code."""
    rows = session.execute(
        text(
            f"""
            WITH kp AS (SELECT grid_code, count(*) n FROM key_place WHERE grid_code IS NOT NULL GROUP BY 1),
            hz AS (SELECT h.grid_code, count(*) FILTER (WHERE {OPEN}) AS open,
                          count(*) FILTER (WHERE {OVERDUE}) AS overdue
                   FROM hazard h WHERE h.grid_code IS NOT NULL GROUP BY 1)
            SELECT g.code, coalesce(kp.n, 0) kp, coalesce(hz.open, 0) open, coalesce(hz.overdue, 0) overdue
            FROM grid g LEFT JOIN kp ON kp.grid_code = g.code LEFT JOIN hz ON hz.grid_code = g.code
            WHERE g.valid_to IS NULL AND (CAST(:p AS text) IS NULL OR g.precinct_code = :p)
            """
        ),
        {"p": read_precinct(precinct)},
    ).all()
    return {
        "fields": ["key_places", "open_hazards", "overdue_hazards"],
        "grids": {r.code: [int(r.kp), int(r.open), int(r.overdue)] for r in rows},
    }


def _one(session: Session, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
    row = session.execute(text(sql), params).mappings().first()
    return dict(row) if row else None


def grid_detail(session: Session, code: str) -> dict[str, Any] | None:
    """One current grid with its district, officer, precinct, key places and open hazards; None when unknown."""
    grid = _one(
        session,
        """SELECT code, name, community, township, households, population, grid_worker, district_code,
                  precinct_code, ST_XMin(geom) x0, ST_YMin(geom) y0, ST_XMax(geom) x1, ST_YMax(geom) y1
           FROM grid WHERE valid_to IS NULL AND code = :c""",
        {"c": code},
    )
    if grid is None or scope_precinct() not in (None, grid["precinct_code"]):
        return None  # another precinct's grid: as if unknown
    grid["bbox"] = [grid.pop("x0"), grid.pop("y0"), grid.pop("x1"), grid.pop("y1")]
    district = _one(
        session,
        "SELECT code, name, officer, auxiliaries FROM district WHERE valid_to IS NULL AND code = :c",
        {"c": grid["district_code"]},
    )
    precinct = _one(
        session, "SELECT code, name FROM precinct WHERE valid_to IS NULL AND code = :c", {"c": grid["precinct_code"]}
    )
    places = session.execute(
        text(
            "SELECT code, name, category, risk_level FROM key_place WHERE grid_code = :c"
            " ORDER BY risk_level DESC NULLS LAST, name"
        ),
        {"c": code},
    ).mappings()
    hazards = session.execute(
        text(
            f"""SELECT h.code, h.title, h.state, h.due_at, ({OVERDUE}) AS overdue FROM hazard h
                WHERE h.grid_code = :c AND {OPEN} ORDER BY h.due_at NULLS LAST, h.code"""
        ),
        {"c": code},
    ).mappings()
    open_hazards = [{**h, "due_at": h["due_at"].isoformat() if h["due_at"] else None} for h in hazards]
    key_places = [dict(p) for p in places]
    return {
        "grid": grid,
        "district": district,
        "precinct": precinct,
        "key_places": key_places,
        "hazards": open_hazards,
        "counts": {
            "key_places": len(key_places),
            "open_hazards": len(open_hazards),
            "overdue_hazards": sum(1 for h in open_hazards if h["overdue"]),
        },
    }


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_units(session: Session, query: str, limit: int = 12) -> list[dict[str, Any]]:
    """Precincts, districts and grids whose code starts with, or whose name contains, ``query``.

    Exact code matches first, then precincts before districts before grids, then by code.
    """
    query = query.strip()
    if not query:
        return []
    scope = read_precinct(None)
    parts = []
    for rank, (name, layer) in enumerate(LAYERS.items()):
        limit_to = f" AND {boundary_condition(name)}" if scope else ""
        parts.append(
            f"""SELECT '{name}' AS layer, {rank} AS rank, t.code, t.name,
                       ST_XMin(t.geom) x0, ST_YMin(t.geom) y0, ST_XMax(t.geom) x1, ST_YMax(t.geom) y1
                FROM {layer.table} t WHERE t.valid_to IS NULL{limit_to}
                  AND (t.code ILIKE :prefix ESCAPE '\\' OR t.name ILIKE :inner ESCAPE '\\')"""
        )
    sql = f"SELECT * FROM ({' UNION ALL '.join(parts)}) u ORDER BY (code = :q) DESC, rank, code LIMIT :limit"
    rows = session.execute(
        text(sql),
        {"q": query, "prefix": _like(query) + "%", "inner": "%" + _like(query) + "%", "limit": limit, "scope": scope},
    ).all()
    return [
        {"layer": r.layer, "code": r.code, "name": r.name or r.code, "bbox": [r.x0, r.y0, r.x1, r.y1]} for r in rows
    ]


def label_points(session: Session, layer_name: str, bbox: Bbox | None = None, limit: int = 2000) -> dict[str, Any]:
    """A point inside each current unit of the layer (within ``bbox``), with code and name: where labels go."""
    layer = LAYERS[layer_name]
    where, params = "t.valid_to IS NULL", dict[str, Any](limit=limit)
    if bbox:
        where += " AND t.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    scope = read_precinct(None)
    if scope:
        where += f" AND {boundary_condition(layer_name)}"
        params["scope"] = scope
    rows = session.execute(
        text(
            f"SELECT t.code, t.name, ST_AsGeoJSON(ST_PointOnSurface(t.geom), 6) g FROM {layer.table} t"
            f" WHERE {where} ORDER BY ST_Area(t.geom) DESC LIMIT :limit"
        ),
        params,
    ).all()
    features = [
        {"type": "Feature", "geometry": json.loads(r.g), "properties": {"code": r.code, "name": r.name or r.code}}
        for r in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def data_window(session: Session) -> dict[str, str | None]:
    """The span of stored patrol fixes (ISO times), to open the map on a window that has data."""
    row = session.execute(text("SELECT min(ts) t0, max(ts) t1 FROM patrol_fix")).one()
    return {
        "first_patrol_at": row.t0.isoformat() if row.t0 else None,
        "last_patrol_at": row.t1.isoformat() if row.t1 else None,
    }


def grid_min_zoom(session: Session, min_pixels: float = 8.0) -> int:
    """The zoom level from which grids are worth drawing: where an average grid is ``min_pixels`` wide.

    A 20,000-grid city seen whole is a grey blur of 3-pixel cells and heavy tiles; its districts say more there.
    Estimated from the count and the extent of the current grids (0 for an empty layer).
    """
    row = session.execute(
        text(
            "SELECT count(*) n, ST_XMin(ST_Extent(geom)) x0, ST_YMin(ST_Extent(geom)) y0,"
            " ST_XMax(ST_Extent(geom)) x1, ST_YMax(ST_Extent(geom)) y1 FROM grid WHERE valid_to IS NULL"
        )
    ).first()
    if row is None or not row.n or row.x0 is None:
        return 0
    lat = math.radians((row.y0 + row.y1) / 2)
    area_m2 = (row.x1 - row.x0) * 111_320 * math.cos(lat) * (row.y1 - row.y0) * 110_540
    side_m = math.sqrt(max(area_m2, 1.0) / row.n)
    metres_per_pixel_z0 = 156_543.03 * math.cos(lat)
    return max(0, min(16, math.ceil(math.log2(min_pixels * metres_per_pixel_z0 / side_m))))
