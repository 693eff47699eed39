"""Features of a source (:mod:`api.services.sources`) for the OGC API: filtered, paged, in CRS84 or lat/lon.

Stored rows come from PostGIS with every value bound; the alignment findings come from
:func:`api.services.alignment.findings` and are filtered the same way in Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.errors import BadRequest, NotFound
from api.services import alignment
from api.services.sources import FINDINGS, Source
from api.services.store import version_clause

__all__ = ["Query", "Page", "items", "item", "extent"]


@dataclass
class Query:
    """What a client asked for. ``start``/``end`` bound a closed interval (None = open); ``instant`` is one
    moment (a date is both: its midnight for versions, the whole day for timestamps). ``lat_lon`` puts
    latitude first (EPSG:4490 and EPSG:4326 axis order)."""

    precinct: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    bbox: tuple[float, float, float, float] | None = None  # lon/lat
    instant: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 10
    offset: int = 0
    lat_lon: bool = False
    cache: alignment.StateCache | None = None
    interval: bool = False  # an interval was asked for (``a/b``, ``../b``, ``a/..``, ``../..``)


@dataclass
class Page:
    features: list[str]  # GeoJSON Feature texts
    matched: int


def _typed(source: Source, name: str, value: str) -> Any:
    kind = source.queryables[name][1]
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f"{name} must be a whole number, got {value!r}") from None
    return value


def _time_sql(source: Source, q: Query, params: dict[str, Any]) -> str:
    if source.versioned:
        if q.interval:
            raise BadRequest(f"{source.id} is versioned: datetime takes one instant (the version valid then)")
        cond, bound = version_clause(q.instant)
        params.update(bound)
        return cond
    if source.time is None:
        return "TRUE"  # key places keep no time: datetime does not apply
    if q.instant is not None and q.start is None and q.end is None:
        params["t_at"] = q.instant
        return f"{source.time} = :t_at"
    if q.instant is None and not q.interval:
        return "TRUE"  # no datetime asked for
    conds = [f"{source.time} IS NOT NULL"]  # a feature without a time is in no instant or interval
    if q.start is not None:
        conds.append(f"{source.time} >= :t_start")
        params["t_start"] = q.start
    if q.end is not None:
        conds.append(f"{source.time} <= :t_end")
        params["t_end"] = q.end
    return " AND ".join(conds)


def _where(source: Source, q: Query, fid: str | None = None) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    where = ["t.geom IS NOT NULL", _time_sql(source, q, params)]
    if q.precinct:
        where.append(f"{source.precinct} = :scope")
        params["scope"] = q.precinct
    for i, (name, value) in enumerate(sorted(q.filters.items())):
        where.append(f"{source.queryables[name][0]} = :f{i}")  # column from the registry
        params[f"f{i}"] = _typed(source, name, value)
    if q.bbox:
        where.append("t.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        where.append("ST_Intersects(t.geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))")
        params.update(x0=q.bbox[0], y0=q.bbox[1], x1=q.bbox[2], y1=q.bbox[3])
    if fid is not None:
        where.append(f"{source.fid} = :fid")
        params["fid"] = fid
    return " AND ".join(where), params


def _select(source: Source, q: Query, cond: str) -> str:
    geom = "ST_FlipCoordinates(t.geom)" if q.lat_lon else "t.geom"
    return f"""
        SELECT json_build_object('type', 'Feature', 'id', {source.fid},
            'geometry', ST_AsGeoJSON({geom}, 7)::json, 'properties', {source.props})::text
        FROM {source.table} t WHERE {cond} ORDER BY {source.order}
    """


def items(session: Session, source: Source, q: Query) -> Page:
    """One page of the source's features matching ``q`` and the number matching in all."""
    if source.id in FINDINGS:
        found = _findings(session, source, q)
        return Page(found[q.offset : q.offset + q.limit], len(found))
    cond, params = _where(source, q)
    features = session.scalars(
        text(_select(source, q, cond) + " LIMIT :limit OFFSET :offset"),
        {**params, "limit": q.limit, "offset": q.offset},
    ).all()
    matched = session.scalar(text(f"SELECT count(*) FROM {source.table} t WHERE {cond}"), params)
    return Page(list(features), int(matched or 0))


def item(session: Session, source: Source, fid: str, q: Query) -> str:
    """The feature ``fid`` (as of ``q.instant`` for versioned sources), within the scope of ``q``."""
    if source.id in FINDINGS:
        found = [f for f in _findings(session, source, q) if json.loads(f)["id"] == fid]
    else:
        cond, params = _where(source, q, fid)
        found = list(session.scalars(text(_select(source, q, cond)), params).all())
    if not found:
        raise NotFound(f"no feature {fid!r} in {source.id}")
    return found[0]


def _findings(session: Session, source: Source, q: Query) -> list[str]:
    if q.interval:
        raise BadRequest(f"{source.id} are computed for one instant: datetime takes one instant")
    try:
        doc = alignment.findings(session, source.id, precinct=q.precinct, as_of=q.instant, cache=q.cache)
    except NotFound:
        return []  # nothing to align (yet), or a precinct with no boundaries: no findings
    box = shapely.box(*q.bbox) if q.bbox else None
    out = []
    for i, feature in enumerate(doc["features"], start=1):
        props = feature["properties"]
        if any(str(props.get(source.queryables[k][0][2:])) != v for k, v in q.filters.items()):
            continue
        geom = shape(feature["geometry"])
        if box is not None and not geom.intersects(box):
            continue
        if q.lat_lon:
            geom = shapely.transform(geom, lambda xy: xy[:, ::-1])  # latitude first
        fid = str(props["code"]) if source.id == "split-grids" else str(i)
        body = {"type": "Feature", "id": fid, "geometry": mapping(geom), "properties": props}
        out.append(json.dumps(body, ensure_ascii=False))
    return out


def extent(session: Session, source: Source, precinct: str | None) -> dict[str, Any]:
    """Spatial (CRS84) and, for timestamped sources, temporal extent of what the scope may see now."""
    table = "grid" if source.id in FINDINGS else source.table
    base = Source(source.id, "", "", "", table, time="versions") if source.id in FINDINGS else source
    cond, params = _where(base, Query(precinct=precinct))
    span = f"min({source.time}), max({source.time})" if source.time and not source.versioned else "NULL, NULL"
    row = session.execute(
        text(f"SELECT ST_Extent(t.geom)::box2d::text, {span} FROM {table} t WHERE {cond}"), params
    ).one()
    out: dict[str, Any] = {}
    if row[0]:
        lo, hi = row[0][4:-1].split(",")
        out["spatial"] = {
            "bbox": [[float(v) for v in (*lo.split(), *hi.split())]],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        }
    if row[1] is not None:
        out["temporal"] = {
            "interval": [[row[1].isoformat(), row[2].isoformat()]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return out
