"""OGC API – Features (Part 1 core, GeoJSON, HTML; Part 2 CRS; Part 3 queryables) and OGC API – Tiles at ``/ogc``.

Why not pygeoapi's Flask blueprint: it reads ``PYGEOAPI_CONFIG`` and ``PYGEOAPI_OPENAPI`` files at import and
builds its own global ``Flask`` app and ``API`` object with one fixed server URL; its providers open their own
database connections (outside our request session, precinct scope and the tests' rolled-back transaction); and
it brings some twenty packages (rasterio with a second GDAL among them). These few modules map a fixed registry
(:mod:`api.services.sources`) onto the same services as the rest of the app instead.
"""

from __future__ import annotations

from flask import Blueprint

__all__ = ["bp"]

bp = Blueprint("ogc", __name__, url_prefix="/ogc", template_folder="templates")

from api.ogc import tiles, views  # noqa: E402,F401  (routes attach to bp)
