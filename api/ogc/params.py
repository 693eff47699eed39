"""Query parameters of OGC API – Features requests: ``limit``/``offset``, ``bbox``/``bbox-crs``, ``crs``,
``datetime`` and the queryables.

CGCS2000 (EPSG:4490) and WGS 84 differ by a few centimetres, below what boundaries carry, so coordinates stored
in EPSG:4326 are served as EPSG:4490 without a datum shift. EPSG:4490 and EPSG:4326 put latitude first (their
axis order, as OGC API – Features Part 2 requires); CRS84 is longitude first.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import request

from api.errors import BadRequest
from api.params import parse_time, parse_whole
from api.scope import read_precinct
from api.services.boundaries import parse_bbox
from api.services.features import Query
from api.services.sources import Source

__all__ = ["CRS84", "CRS_LIST", "LAT_LON", "crs_uri", "items_query", "DEFAULT_LIMIT", "MAX_LIMIT"]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
CRS_LIST = [CRS84, EPSG4490, EPSG4326]
LAT_LON = {EPSG4490, EPSG4326}
_SHORT = {"CRS84": CRS84, "OGC:CRS84": CRS84, "EPSG:4490": EPSG4490, "EPSG:4326": EPSG4326}

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_COMMON = {"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime"}


def crs_uri(value: str | None, name: str = "crs") -> str:
    """The full URI of a supported CRS (CRS84 when not given); 400 otherwise."""
    if not value:
        return CRS84
    value = value.strip().strip("[]<>")
    uri = _SHORT.get(value.upper(), value)
    if uri not in CRS_LIST:
        raise BadRequest(f"{name} {value!r} is not supported: use one of {', '.join(CRS_LIST)}")
    return uri


def _whole(name: str, default: int, low: int) -> int:
    value = parse_whole(request.args.get(name), name, default, low)
    assert value is not None
    return value


def _bbox() -> tuple[float, float, float, float] | None:
    box = parse_bbox(request.args.get("bbox"))
    if box is None:
        return None
    if crs_uri(request.args.get("bbox-crs"), "bbox-crs") in LAT_LON:
        return box[1], box[0], box[3], box[2]
    return box


def _moment(raw: str, end: bool = False) -> datetime | None:
    """One end of a ``datetime`` value: ``..`` or empty is open (None); a date alone is its first moment, or as
    the ``end`` of an interval its last, so ``2026-10-01/2026-10-31`` takes in all of 31 October."""
    if raw in ("", ".."):
        return None
    moment = parse_time(raw, "datetime")
    if end and moment is not None and _DATE_ONLY.fullmatch(raw):
        moment += timedelta(days=1) - timedelta(microseconds=1)
    return moment


def _datetime(query: Query) -> None:
    """``datetime``: an instant (a date is the whole day for timestamps, its midnight for versions) or an
    interval ``a/b`` with ``..`` for an open end (both ends included)."""
    raw = (request.args.get("datetime") or "").strip()
    if not raw:
        return
    if "/" in raw:
        first, _, last = raw.partition("/")
        if "/" in last:
            raise BadRequest(f"datetime takes one instant or one interval a/b, got {raw!r}")
        query.start, query.end = _moment(first.strip()), _moment(last.strip(), end=True)
        query.interval = True
        if query.start and query.end and query.start > query.end:
            raise BadRequest(f"datetime interval ends before it starts: {raw!r}")
        return
    if raw == "..":
        raise BadRequest("datetime '..' is an open end of an interval: use '../..' for any time")
    query.instant = parse_time(raw, "datetime")
    if _DATE_ONLY.fullmatch(raw) and query.instant is not None:  # a date: the whole day for timestamps
        query.start, query.end = query.instant, query.instant + timedelta(days=1) - timedelta(microseconds=1)


def _check_known(source: Source, allowed: set[str]) -> None:
    unknown = sorted(set(request.args) - allowed - set(source.queryables))
    if unknown:
        names = ", ".join(sorted(allowed | set(source.queryables)))
        raise BadRequest(f"unknown parameter {', '.join(unknown)}: {source.id} takes {names}")


def items_query(source: Source, single: bool = False) -> tuple[Query, str]:
    """The :class:`Query` of an items (or, ``single``, one item) request and the response CRS URI."""
    _check_known(source, {"f", "crs", "datetime"} if single else _COMMON)
    crs = crs_uri(request.args.get("crs"))
    filters = {k: v for k, v in request.args.items() if k in source.queryables and v != ""}
    query = Query(
        # The scope: what the user may see, narrowed to the precinct asked for (403 outside the scope).
        precinct=read_precinct(filters.pop("precinct", None) if "precinct" in source.queryables else None),
        filters=filters,
        lat_lon=crs in LAT_LON,
    )
    if not single:
        query.bbox = _bbox()
        query.limit = min(_whole("limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
        query.offset = _whole("offset", 0, 0)
    _datetime(query)
    return query, crs
