"""``GET /tiles/{layer}/{z}/{x}/{y}.pbf``: vector tiles with ETag; versioned URLs are cached for good."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy.orm import Session

from api.db import get_engine, get_session
from api.scope import scope_key
from api.services import tiles
from api.services.tileseed import SEED_MAX_ZOOM, seed

bp = Blueprint("tiles", __name__, url_prefix="/tiles")
log = logging.getLogger(__name__)


def tile_cache(app: Flask) -> tiles.TileCache:
    ext = app.extensions.setdefault("jingwang", {})
    if "tiles" not in ext:
        folder = app.config.get("TILE_CACHE_DIR")
        ext["tiles"] = tiles.TileCache(folder=Path(folder) if folder else None)
    cache: tiles.TileCache = ext["tiles"]
    return cache


def seed_in_background(app: Flask, cache: tiles.TileCache, layer: str, version: int) -> threading.Thread | None:
    """The first request that meets a new layer version starts rendering its dense tiles (one worker does)."""
    max_zoom = int(app.config.get("TILE_SEED_ZOOM", SEED_MAX_ZOOM))
    if max_zoom < 0 or not cache.claim(layer, version):
        return None
    engine = get_engine(app).execution_options(isolation_level="REPEATABLE READ")

    def run() -> None:
        started = time.perf_counter()
        try:
            with Session(engine) as session:
                done = seed(session, cache, layer, max_zoom)
            note = f"{done.rendered} tiles, zoom 0-{done.zoom}, {time.perf_counter() - started:.2f} s"
            cache.mark_seeded(layer, version, note)
            log.info("rendered %s of %s ahead of requests", note, layer)
        except Exception:  # only costs speed: the tiles render on request instead
            log.exception("rendering %s tiles ahead of requests failed", layer)

    thread = threading.Thread(target=run, name=f"tile-seed-{layer}-{version}", daemon=True)
    thread.start()
    app.extensions["jingwang"].setdefault("seeders", []).append(thread)
    return thread


@bp.get("/<any(precincts, districts, grids):layer>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layer: str, z: int, x: int, y: int) -> Response:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    cache = tile_cache(app)
    asked = request.args.get("v", "")
    result = tiles.get_tile(get_session(), cache, layer, z, x, y, int(asked) if asked.isdigit() else None)
    seed_in_background(app, cache, layer, result.version)
    scope = scope_key()
    etag = f"{layer}-{result.version}-{z}-{x}-{y}" + (f"-{scope}" if scope else "")
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
