"""``GET /tiles/{layer}/{z}/{x}/{y}.pbf``: vector tiles with ETag; versioned URLs are cached for good."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, request

from api.db import get_session
from api.services import tiles

bp = Blueprint("tiles", __name__, url_prefix="/tiles")


@bp.get("/<any(precincts, districts, grids):layer>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layer: str, z: int, x: int, y: int) -> Response:
    ext = current_app.extensions.setdefault("jingwang", {})
    if "tiles" not in ext:
        folder = current_app.config.get("TILE_CACHE_DIR")
        ext["tiles"] = tiles.TileCache(folder=Path(folder) if folder else None)
    asked = request.args.get("v", "")
    result = tiles.get_tile(get_session(), ext["tiles"], layer, z, x, y, int(asked) if asked.isdigit() else None)
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
