"""jingwang's HTTP side: the Flask app, persistence (PostGIS) and the ``jingwang`` CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from api.config import Settings, tile_cache_dir
from api.jsonprovider import OrjsonProvider

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the app. ``test_config`` overrides settings read from the environment.

    ``serving``: the app will answer requests (gunicorn's ``api:create_app()``), so a development configuration
    (default secret key, debug) is refused; the CLI builds it with ``serving=False`` and checks in ``serve``.
    """
    settings = Settings.from_env()
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        JINGWANG_HOME=str(settings.home),
        TILE_URL=settings.tile_url,
        BASEMAP_COORDS=settings.basemap_coords,
        TILE_SEED_ZOOM=settings.tile_seed_zoom,
        JSON_AS_ASCII=False,
        MAX_UPLOAD_BYTES=settings.max_upload_mb * 2**20,
        # The whole request may carry a little more than the file itself (form fields, sidecars).
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 2**20 + 2**20,
    )
    if test_config:
        app.config.from_mapping(test_config)
    if "TILE_CACHE_DIR" not in app.config:
        home = Path(app.config["JINGWANG_HOME"])
        app.config["TILE_CACHE_DIR"] = str(tile_cache_dir(home, app.config["DATABASE_URL"]))
    app.json = OrjsonProvider(app)
    app.json.ensure_ascii = False

    from api import auth, db, errors, openapi
    from api.routes import alignment, boundaries, coverage, hazards, health, imports, mapdata, points, reports, tiles

    db.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(boundaries.bp)
    app.register_blueprint(tiles.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(alignment.bp)
    app.register_blueprint(coverage.bp)
    app.register_blueprint(points.bp)
    app.register_blueprint(hazards.bp)
    app.register_blueprint(reports.bp)

    app.register_blueprint(mapdata.bp)
    app.register_blueprint(openapi.bp)
    _register_open_standards(app)

    import webmap

    webmap.init_app(app)
    if serving:
        from api.auth.hardening import check_production

        check_production(app)
    return app


def _register_open_standards(app: Flask) -> None:
    """OGC API – Features/Tiles at /ogc and the file exports at /api/export."""
    from api import ogc
    from api.routes import export

    app.register_blueprint(ogc.bp)
    app.register_blueprint(export.bp)
