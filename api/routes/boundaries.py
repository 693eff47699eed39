"""Read-only GeoJSON of the current boundary layers: precincts, districts and grids."""

from __future__ import annotations

from flask import Blueprint, Response, request

from api.db import get_session
from api.layers import get_layer
from api.params import parse_whole
from api.services import boundaries

bp = Blueprint("boundaries", __name__, url_prefix="/api")


def _int_arg(name: str, default: int | None, maximum: int | None = None) -> int | None:
    return parse_whole(request.args.get(name), name, default, 0, maximum)


@bp.get("/<any(precincts, districts, grids):layer_name>")
def collection(layer_name: str) -> Response:
    layer = get_layer(layer_name)
    body = boundaries.feature_collection(
        get_session(),
        layer,
        filters={key: request.args.get(key, "") for key in layer.filters},
        bbox=boundaries.parse_bbox(request.args.get("bbox")),
        limit=_int_arg("limit", None, 100_000),
        offset=_int_arg("offset", 0) or 0,
    )
    return Response(body, mimetype="application/geo+json")
