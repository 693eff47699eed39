"""Reading key places and incidents as GeoJSON, and the per-grid counts the map shows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.scope import read_precinct
from api.services.hazard_queries import hazard_grid_counts
from api.services.settings import categories

__all__ = ["key_places_geojson", "incidents_geojson", "grid_stats", "category_list"]

_BOX = "t.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"


def _collection(session: Session, sql: str, params: dict[str, Any]) -> str:
    features = session.scalars(text(sql), params).all()
    head = json.dumps({"type": "FeatureCollection", "numberReturned": len(features)})
    return head[:-1] + ', "features": [' + ",".join(features) + "]}"


def _where(
    filters: dict[str, str | None], bbox: tuple[float, float, float, float] | None
) -> tuple[str, dict[str, Any]]:
    where: list[str] = ["TRUE"]
    params: dict[str, Any] = {}
    for column, value in filters.items():  # columns come from the callers below, never from a request
        if value:
            where.append(f"t.{column} = :{column}")
            params[column] = value
    if bbox:
        where.append(_BOX)
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    return " AND ".join(where), params


def key_places_geojson(
    session: Session,
    precinct: str | None = None,
    grid: str | None = None,
    category: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> str:
    """Key places as a FeatureCollection (text); properties hold the columns, category names and attributes."""
    precinct = read_precinct(precinct)
    cond, params = _where({"precinct_code": precinct, "grid_code": grid, "category": category}, bbox)
    names = {c["code"]: c for c in categories(session)}
    params["names"] = json.dumps({k: v.get("zh") for k, v in names.items()}, ensure_ascii=False)
    sql = f"""
        SELECT json_build_object('type', 'Feature', 'id', coalesce(t.code, t.id::text),
            'geometry', ST_AsGeoJSON(t.geom, 7)::json,
            'properties', t.attributes || (to_jsonb(t) - 'geom' - 'attributes')
                || jsonb_build_object('category_zh', CAST(:names AS jsonb) ->> t.category))::text
        FROM key_place t WHERE {cond} ORDER BY t.code, t.id
    """
    return _collection(session, sql, params)


def incidents_geojson(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    precinct: str | None = None,
    type_: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int = 50_000,
) -> str:
    """Incidents with a position, ``start <= occurred_at < end``, newest first, as a FeatureCollection."""
    precinct = read_precinct(precinct)
    cond, params = _where({"precinct_code": precinct, "type": type_}, bbox)
    cond += " AND t.geom IS NOT NULL"
    if start:
        cond += " AND t.occurred_at >= :start"
        params["start"] = start
    if end:
        cond += " AND t.occurred_at < :end"
        params["end"] = end
    params["limit"] = limit
    sql = f"""
        SELECT json_build_object('type', 'Feature', 'id', coalesce(t.code, t.id::text),
            'geometry', ST_AsGeoJSON(t.geom, 7)::json,
            'properties', t.attributes || (to_jsonb(t) - 'geom' - 'attributes'))::text
        FROM incident t WHERE {cond} ORDER BY t.occurred_at DESC NULLS LAST, t.id LIMIT :limit
    """
    return _collection(session, sql, params)


def grid_stats(
    session: Session, precinct: str | None = None, start: datetime | None = None, end: datetime | None = None
) -> list[dict[str, Any]]:
    """Per current grid: key places (total and by category), incidents in the window, hazards open / overdue."""
    precinct = read_precinct(precinct)
    params = {"p": precinct, "start": start, "end": end}
    grids = session.scalars(
        text("SELECT code FROM grid WHERE valid_to IS NULL AND (CAST(:p AS text) IS NULL OR precinct_code = :p)"
             " ORDER BY code"), params,
    ).all()  # fmt: skip
    places: dict[str, dict[str, int]] = {}
    for row in session.execute(
        text("SELECT grid_code, category, count(*) AS n FROM key_place WHERE grid_code IS NOT NULL"
             " GROUP BY grid_code, category")
    ):  # fmt: skip
        places.setdefault(row.grid_code, {})[row.category] = int(row.n)
    incidents: dict[str, int] = dict(
        session.execute(
            text(
                "SELECT grid_code, count(*) FROM incident WHERE grid_code IS NOT NULL"
                " AND (CAST(:start AS timestamptz) IS NULL OR occurred_at >= :start)"
                " AND (CAST(:end AS timestamptz) IS NULL OR occurred_at < :end) GROUP BY grid_code"
            ),
            params,
        ).all()
    )
    hazards = hazard_grid_counts(session, precinct)
    return [
        {
            "code": code,
            "key_places": sum(places.get(code, {}).values()),
            "key_places_by_category": places.get(code, {}),
            "incidents": int(incidents.get(code, 0)),
            "hazards_open": hazards.get(code, {}).get("open", 0),
            "hazards_overdue": hazards.get(code, {}).get("overdue", 0),
        }
        for code in grids
    ]


def category_list(session: Session) -> list[dict[str, Any]]:
    return categories(session)
