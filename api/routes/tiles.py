"""``GET /tiles/{layer}/{z}/{x}/{y}.pbf``: vector tiles with ETag; versioned URLs are cached for good."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from api.db import get_session
from api.services import tiles

bp = Blueprint("tiles", __name__, url_prefix="/tiles")


@bp.get("/<any(precincts, districts, grids):layer>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layer: str, z: int, x: int, y: int) -> Response:
    cache = current_app.extensions.setdefault("jingwang", {}).setdefault("tiles", tiles.TileCache())
    result = tiles.get_tile(get_session(), cache, layer, z, x, y)
    etag = f"{layer}-{result.version}-{z}-{x}-{y}"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(result.data, mimetype="application/vnd.mapbox-vector-tile")
    response.set_etag(etag)
    if request.args.get("v") == str(result.version):
        # The page asked for this exact version: the bytes behind this URL never change.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response
