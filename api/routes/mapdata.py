"""``/api/map/*``: the small read-only JSON the web map draws — layer versions, per-grid figures, one grid's panel,
search, labels, point layers (key places, hazards, patrol tracks) and per-district report figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request

from api.db import get_session
from api.errors import BadRequest, NotFound
from api.layers import LAYERS
from api.services import mapdata, mappoints
from api.services.boundaries import parse_bbox
from geo.times import parse_instant

bp = Blueprint("mapdata", __name__, url_prefix="/api/map")


def _time(name: str) -> datetime | None:
    return parse_instant(request.args.get(name))  # GeoError (422) names the bad value


def _window() -> tuple[datetime, datetime]:
    start, end = _time("from"), _time("to")
    if start is None or end is None or start >= end:
        raise BadRequest("from and to are required, with from before to (ISO times, e.g. 2026-11-01)")
    return start, end


def _bbox() -> tuple[float, float, float, float] | None:
    return parse_bbox(request.args.get("bbox"))


def _precinct() -> str | None:
    return request.args.get("precinct") or None


@bp.get("/versions")
def versions() -> Any:
    return jsonify(mapdata.layer_versions(get_session()))


@bp.get("/grid-figures")
def grid_figures() -> Any:
    return jsonify(mapdata.grid_figures(get_session(), _precinct()))


@bp.get("/grids/<code>")
def grid(code: str) -> Any:
    detail = mapdata.grid_detail(get_session(), code)
    if detail is None:
        raise NotFound(f"no current grid with code {code!r}")
    return jsonify(detail)


@bp.get("/search")
def search() -> Any:
    return jsonify({"results": mapdata.search_units(get_session(), request.args.get("q", "")[:100])})


@bp.get("/labels/<layer_name>")
def labels(layer_name: str) -> Any:
    if layer_name not in LAYERS:
        raise NotFound(f"unknown layer {layer_name!r}: use one of {', '.join(LAYERS)}")
    return jsonify(mapdata.label_points(get_session(), layer_name, _bbox()))


@bp.get("/patrols")
def patrols() -> Any:
    start, end = _window()
    return jsonify(mappoints.patrol_tracks(get_session(), start, end, _precinct(), _bbox()))


@bp.get("/district-stats")
def district_stats() -> Any:
    rows = mappoints.district_stats(get_session(), _time("from"), _time("to"), _precinct())
    return jsonify({"districts": rows})
