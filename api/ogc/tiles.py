"""OGC API – Tiles (the WebMercatorQuad vector tileset of each boundary layer) and TileJSON 3.0.

The tiles themselves are the ones the web map draws (``/tiles/{layer}/{z}/{x}/{y}.pbf``); the templates carry
the layer's current version, so clients get the tiles that are cached for good.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from api.db import get_session
from api.errors import NotFound
from api.ogc import bp
from api.ogc.respond import JSON, link, respond, self_links, url
from api.routes import tiles as tile_routes
from api.scope import read_precinct
from api.services import features
from api.services.sources import Source, get_source
from api.services.store import layer_version
from api.services.tiles import MAX_ZOOM, TILE_PROPERTIES

TMS = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MVT = "application/vnd.mapbox-vector-tile"
_OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0/"
_INTEGER = {"auxiliaries", "households", "population"}


def _tiled(collection_id: str) -> Source:
    source = get_source(collection_id)
    if not source.tiles:
        raise NotFound(f"{collection_id} has no vector tiles: only {', '.join(TILE_PROPERTIES)} do")
    return source


def _template(source: Source, xyz: tuple[str, str, str]) -> str:
    base = url("tiles.tile", layer=source.id, z=0, x=0, y=0).rsplit("/0/0/0.pbf", 1)[0]
    version = layer_version(get_session(), source.id)
    return f"{base}/{xyz[0]}/{xyz[1]}/{xyz[2]}.pbf?v={version}"


def _fields(source: Source) -> dict[str, str]:
    return {name: "Number" if name in _INTEGER else "String" for name in ("code", "name", *TILE_PROPERTIES[source.id])}


def _tileset_summary(source: Source) -> dict[str, Any]:
    return {
        "title": f"{source.title_zh} {source.title}",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": TMS_URI,
        "links": [
            link(url("ogc.tileset", collection_id=source.id), "self", JSON, TMS),
            link(TMS_URI, _OGC_REL + "tiling-scheme", JSON, TMS),
        ],
    }


@bp.get("/collections/<collection_id>/tiles")
def tilesets(collection_id: str) -> Response:
    source = _tiled(collection_id)
    return respond({"title": source.title, "tilesets": [_tileset_summary(source)], "links": self_links()}, "tiles")


@bp.get(f"/collections/<collection_id>/tiles/{TMS}")
def tileset(collection_id: str) -> Response:
    source = _tiled(collection_id)
    doc = _tileset_summary(source)
    doc["links"] = self_links() + [
        link(TMS_URI, _OGC_REL + "tiling-scheme", JSON, TMS),
        link(_template(source, ("{tileMatrix}", "{tileCol}", "{tileRow}")), "item", MVT, "Tiles", templated=True),
        link(url("ogc.tilejson", collection_id=source.id), "describedby", JSON, "TileJSON"),
        link(url("ogc.collection", collection_id=source.id), "collection", JSON, source.title),
    ]
    doc["layers"] = [
        {
            "id": source.id,
            "dataType": "vector",
            "geometryType": "polygons",
            "minTileMatrix": "0",
            "maxTileMatrix": str(MAX_ZOOM),
            "propertiesSchema": {
                "type": "object",
                "properties": {
                    k: {"type": "integer" if v == "Number" else "string"} for k, v in _fields(source).items()
                },
            },
        }
    ]
    return respond(doc, "tiles")


@bp.get(f"/collections/<collection_id>/tiles/{TMS}/<int:z>/<int:row>/<int:col>")
def tile(collection_id: str, z: int, row: int, col: int) -> Response:
    """The OGC path of a tile (row before column); the same bytes and caching as ``/tiles``."""
    return tile_routes.tile(_tiled(collection_id).id, z, col, row)


@bp.get("/collections/<collection_id>/tiles/tilejson.json")
def tilejson(collection_id: str) -> Response:
    source = _tiled(collection_id)
    extent = features.extent(get_session(), source, read_precinct(None)).get("spatial")
    bounds = extent["bbox"][0] if extent else [-180.0, -85.05, 180.0, 85.05]
    doc = {
        "tilejson": "3.0.0",
        "name": f"{source.title_zh} {source.title}",
        "scheme": "xyz",
        "tiles": [_template(source, ("{z}", "{x}", "{y}"))],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 10],
        "vector_layers": [{"id": source.id, "fields": _fields(source), "minzoom": 0, "maxzoom": MAX_ZOOM}],
    }
    return Response(json.dumps(doc, ensure_ascii=False), mimetype=JSON)
