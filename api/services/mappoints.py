"""Patrol tracks of the web map as GeoJSON and per-district report figures.

Plain reads: bound parameters only, no commit. Times are ISO 8601 strings in the output.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.scope import read_precinct
from api.services.mapdata import OPEN, OVERDUE

__all__ = ["patrol_tracks", "district_stats"]


Bbox = tuple[float, float, float, float]

# A patrol track breaks where consecutive fixes of a unit are more than 5 minutes or 1 km apart (DESIGN.md).
_GAP = "interval '5 minutes'"
_JUMP_M = 1000


def _collection(rows: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [row[0] for row in rows]}


def patrol_tracks(
    session: Session, start: datetime, end: datetime, precinct: str | None = None, bbox: Bbox | None = None
) -> dict[str, Any]:
    """One MultiLineString per patrol unit over [start, end), broken at gaps; lone fixes are left out."""
    where = ["f.ts >= :start", "f.ts < :end"]
    params: dict[str, Any] = {"start": start, "end": end}
    precinct = read_precinct(precinct)
    if bbox:
        where.append("f.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    if precinct:
        where.append(
            "EXISTS (SELECT 1 FROM precinct p WHERE p.valid_to IS NULL AND p.code = :precinct"
            " AND ST_Intersects(p.geom, f.geom))"
        )
        params["precinct"] = precinct
    sql = f"""
        WITH fixes AS (
            SELECT f.unit, f.ts, f.geom,
                   lag(f.ts) OVER w AS prev_ts, lag(f.geom) OVER w AS prev_geom
            FROM patrol_fix f WHERE {" AND ".join(where)}
            WINDOW w AS (PARTITION BY f.unit ORDER BY f.ts)),
        numbered AS (
            SELECT unit, ts, geom, sum(CASE WHEN prev_ts IS NULL OR ts - prev_ts > {_GAP}
                   OR ST_DistanceSphere(geom, prev_geom) > {_JUMP_M} THEN 1 ELSE 0 END)
                   OVER (PARTITION BY unit ORDER BY ts) AS piece
            FROM fixes),
        pieces AS (
            SELECT unit, ST_MakeLine(geom ORDER BY ts) AS line, min(ts) t0, max(ts) t1, count(*) n
            FROM numbered GROUP BY unit, piece HAVING count(*) > 1)
        SELECT json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(ST_Collect(line), 6)::json,
               'properties', json_build_object('unit', unit, 'from', min(t0), 'to', max(t1), 'fixes', sum(n)))
        FROM pieces GROUP BY unit ORDER BY unit
    """
    return _collection(session.execute(text(sql), params).all())


def district_stats(
    session: Session, start: datetime | None, end: datetime | None, precinct: str | None = None
) -> list[dict[str, Any]]:
    """Per current district: staff, grids, households, population, key places, hazards, incidents in the window."""
    sql = f"""
        WITH g AS (SELECT district_code, count(*) grids, sum(households) households, sum(population) population
                   FROM grid WHERE valid_to IS NULL GROUP BY 1),
        kp AS (SELECT district_code, count(*) n FROM key_place GROUP BY 1),
        hz AS (SELECT h.district_code, count(*) FILTER (WHERE {OPEN}) open,
                      count(*) FILTER (WHERE {OVERDUE}) overdue FROM hazard h GROUP BY 1),
        inc AS (SELECT district_code, count(*) n FROM incident
                WHERE (CAST(:start AS timestamptz) IS NULL OR occurred_at >= :start)
                  AND (CAST(:end AS timestamptz) IS NULL OR occurred_at < :end) GROUP BY 1)
        SELECT d.precinct_code, p.name AS precinct_name, d.code, d.name, d.officer, d.auxiliaries,
               coalesce(g.grids, 0) grids, coalesce(g.households, 0) households,
               coalesce(g.population, 0) population, coalesce(kp.n, 0) key_places,
               coalesce(hz.open, 0) open_hazards, coalesce(hz.overdue, 0) overdue_hazards,
               coalesce(inc.n, 0) incidents
        FROM district d
        LEFT JOIN precinct p ON p.code = d.precinct_code AND p.valid_to IS NULL
        LEFT JOIN g ON g.district_code = d.code LEFT JOIN kp ON kp.district_code = d.code
        LEFT JOIN hz ON hz.district_code = d.code LEFT JOIN inc ON inc.district_code = d.code
        WHERE d.valid_to IS NULL AND (CAST(:precinct AS text) IS NULL OR d.precinct_code = :precinct)
        ORDER BY d.precinct_code, d.code
    """
    rows = session.execute(text(sql), {"start": start, "end": end, "precinct": read_precinct(precinct)}).mappings()
    return [{k: (int(v) if k not in _TEXT and v is not None else v) for k, v in row.items()} for row in rows]


_TEXT = {"precinct_code", "precinct_name", "code", "name", "officer"}
