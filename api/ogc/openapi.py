"""A compact OpenAPI 3.0 description of ``/ogc``, built from the source registry.

Clients read it for the paging limits (``components.parameters.limit``) and the queryables of each collection
(QGIS does both), so those are spelled out per collection.
"""

from __future__ import annotations

from typing import Any

from api.ogc.params import CRS_LIST, DEFAULT_LIMIT, MAX_LIMIT
from api.services.sources import SOURCES

__all__ = ["document", "OPENAPI_JSON"]

OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
_REF = "#/components/parameters/"


def _param(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": schema,
        "description": description,
    }


def _ok(media: str) -> dict[str, Any]:
    return {
        "200": {"description": "OK", "content": {media: {}}},
        "400": {"description": "Bad request"},
        "404": {"description": "Not found"},
    }


def _components() -> dict[str, Any]:
    return {
        "parameters": {
            "limit": _param(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                "features per page; larger values are clamped",
            ),
            "offset": _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "features to skip"),
            "bbox": _param(
                "bbox",
                {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
                "minx,miny,maxx,maxy in bbox-crs",
            ),
            "bbox-crs": _param("bbox-crs", {"type": "string", "format": "uri", "enum": CRS_LIST}),
            "crs": _param("crs", {"type": "string", "format": "uri", "enum": CRS_LIST}),
            "datetime": _param("datetime", {"type": "string"}, "instant or interval (RFC 3339, '..' open)"),
            "f": _param("f", {"type": "string", "enum": ["json", "html"]}),
        }
    }


def _collection_paths(cid: str) -> dict[str, Any]:
    source = SOURCES[cid]
    common = [{"$ref": _REF + p} for p in ("limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f")]
    query = [_param(name, {"type": kind}) for name, (_sql, kind) in source.queryables.items()]
    return {
        f"/collections/{cid}": {"get": {"summary": source.title, "responses": _ok("application/json")}},
        f"/collections/{cid}/items": {
            "get": {
                "summary": f"{source.title} ({source.title_zh})",
                "parameters": common + query,
                "responses": _ok("application/geo+json"),
            }
        },
        f"/collections/{cid}/items/{{featureId}}": {
            "get": {
                "parameters": [
                    {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"$ref": _REF + "crs"},
                    {"$ref": _REF + "f"},
                ],
                "responses": _ok("application/geo+json"),
            }
        },
        f"/collections/{cid}/queryables": {"get": {"responses": _ok("application/schema+json")}},
    }


def _tile_paths(cid: str) -> dict[str, Any]:
    base = f"/collections/{cid}/tiles"
    tile = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
        for name in ("tileMatrix", "tileRow", "tileCol")
    ]
    return {
        base: {"get": {"summary": f"{SOURCES[cid].title}: vector tilesets", "responses": _ok("application/json")}},
        f"{base}/WebMercatorQuad": {"get": {"summary": "the tileset", "responses": _ok("application/json")}},
        f"{base}/WebMercatorQuad/{{tileMatrix}}/{{tileRow}}/{{tileCol}}": {
            "get": {"parameters": tile, "responses": _ok("application/vnd.mapbox-vector-tile")}
        },
        f"{base}/tilejson.json": {"get": {"summary": "TileJSON 3.0", "responses": _ok("application/json")}},
    }


def document(server: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "Landing page", "responses": _ok("application/json")}},
        "/conformance": {"get": {"summary": "Conformance classes", "responses": _ok("application/json")}},
        "/collections": {"get": {"summary": "Collections", "responses": _ok("application/json")}},
    }
    for cid, source in SOURCES.items():
        paths.update(_collection_paths(cid))
        if source.tiles:
            paths.update(_tile_paths(cid))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "jingwang 警网 OGC API",
            "version": "1.0.0",
            "description": "Precincts, police districts, community grids, key places, hazards, incidents "
            "and the alignment findings as OGC API – Features, with vector tiles.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": _components(),
    }
