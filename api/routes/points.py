"""Key places and incidents as GeoJSON, the key-place categories, and per-grid counts for the map."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from api.db import get_session
from api.routes.coverage import window_args
from api.services import point_queries
from api.services.boundaries import parse_bbox

bp = Blueprint("points", __name__, url_prefix="/api")

GEOJSON = "application/geo+json"


def _arg(name: str) -> str | None:
    return request.args.get(name) or None


@bp.get("/key-places")
def key_places() -> Response:
    body = point_queries.key_places_geojson(
        get_session(),
        precinct=_arg("precinct"),
        grid=_arg("grid"),
        category=_arg("category"),
        bbox=parse_bbox(_arg("bbox")),
    )
    return Response(body, mimetype=GEOJSON)


@bp.get("/key-places/categories")
def categories() -> Any:
    return {"categories": point_queries.category_list(get_session())}


@bp.get("/incidents")
def incidents() -> Response:
    start = end = None
    if _arg("from") or _arg("to"):
        start, end, _tz = window_args(default_hours=24 * 365 * 100)
    body = point_queries.incidents_geojson(
        get_session(), start=start, end=end, precinct=_arg("precinct"), type_=_arg("type"),
        bbox=parse_bbox(_arg("bbox")),
    )  # fmt: skip
    return Response(body, mimetype=GEOJSON)


@bp.get("/grid-stats")
def grid_stats() -> Any:
    start = end = None
    if _arg("from") or _arg("to"):
        start, end, _tz = window_args()
    return {"grids": point_queries.grid_stats(get_session(), _arg("precinct"), start, end)}
