"""OGC API – Features endpoints: landing page, conformance, API definition, collections, items, queryables."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from flask import Response, current_app

from api.db import get_session
from api.ogc import bp
from api.ogc.openapi import OPENAPI_JSON, document
from api.ogc.params import CRS84, CRS_LIST, items_query
from api.ogc.respond import GEOJSON, HTML, JSON, link, page_link, respond, self_links, url
from api.scope import read_precinct
from api.services import alignment, features
from api.services.sources import SOURCES, Source, get_source

_F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
_TILES = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
CONFORMANCE = [
    _F1 + "core",
    _F1 + "geojson",
    _F1 + "html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    _TILES + "core",
    _TILES + "tileset",
    _TILES + "tilesets-list",
    _TILES + "geodata-tilesets",
    _TILES + "mvt",
]
_OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0/"


@bp.get("")
@bp.get("/")
def landing() -> Response:
    doc = {
        "title": "jingwang 警网",
        "description": "派出所辖区、警务区、社区网格、重点场所、隐患、警情与警网对齐结果 · "
        "precincts, police districts, community grids, key places, hazards, incidents and the alignment findings",
        "links": self_links()
        + [
            link(url("ogc.api"), "service-desc", OPENAPI_JSON, "API definition"),
            link(url("ogc.conformance"), "conformance", JSON, "Conformance"),
            link(url("ogc.conformance"), _OGC_REL + "conformance", JSON, "Conformance"),
            link(url("ogc.collections"), "data", JSON, "Collections"),
            link(url("ogc.collections"), _OGC_REL + "data", JSON, "Collections"),
        ],
    }
    return respond(doc, "landing")


@bp.get("/conformance")
def conformance() -> Response:
    return respond({"title": "Conformance", "conformsTo": CONFORMANCE, "links": self_links()}, "conformance")


@bp.get("/api")
def api() -> Response:
    body = json.dumps(document(url("ogc.landing").rstrip("/")), ensure_ascii=False)
    return Response(body, mimetype=OPENAPI_JSON)


def _collection(source: Source, precinct: str | None) -> dict[str, Any]:
    cid = source.id
    links = [
        link(url("ogc.collection", collection_id=cid), "self", JSON, source.title),
        link(url("ogc.collection", collection_id=cid, f="html"), "alternate", HTML, source.title),
        link(url("ogc.items", collection_id=cid), "items", GEOJSON, "Features"),
        link(url("ogc.items", collection_id=cid, f="html"), "items", HTML, "Features (HTML)"),
        link(url("ogc.queryables", collection_id=cid), _OGC_REL + "queryables", "application/schema+json"),
    ]
    if source.tiles:
        links.append(link(url("ogc.tilesets", collection_id=cid), _OGC_REL + "tilesets-vector", JSON, "Vector tiles"))
        links.append(link(url("ogc.tilejson", collection_id=cid), "describedby", JSON, "TileJSON"))
    return {
        "id": cid,
        "title": f"{source.title_zh} {source.title}",
        "description": f"{source.title_zh} · {source.title}",
        "itemType": "feature",
        "extent": features.extent(get_session(), source, precinct),
        "crs": CRS_LIST,
        "storageCrs": CRS84,
        "links": links,
    }


@bp.get("/collections")
def collections() -> Response:
    precinct = read_precinct(None)
    doc = {
        "title": "Collections",
        "collections": [_collection(source, precinct) for source in SOURCES.values()],
        "crs": CRS_LIST,
        "links": self_links(),
    }
    return respond(doc, "collections")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    doc = _collection(get_source(collection_id), read_precinct(None))
    doc["links"] = self_links() + doc["links"][2:]
    return respond(doc, "collection")


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str) -> Response:
    source = get_source(collection_id)
    props: dict[str, Any] = {name: {"title": name, "type": kind} for name, (_sql, kind) in source.queryables.items()}
    props["geometry"] = {"$ref": f"https://geojson.org/schema/{source.geometry}.json"}
    doc = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url("ogc.queryables", collection_id=source.id),
        "type": "object",
        "title": source.title,
        "properties": props,
        "additionalProperties": False,
    }
    return respond(doc, "queryables", "application/schema+json")


def _cache() -> alignment.StateCache:
    cache: alignment.StateCache = current_app.extensions.setdefault("jingwang", {}).setdefault(
        "alignment", alignment.StateCache()
    )
    return cache


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    source = get_source(collection_id)
    query, crs = items_query(source)
    query.cache = _cache()
    page = features.items(get_session(), source, query)
    links = self_links(GEOJSON) + [link(url("ogc.collection", collection_id=source.id), "collection", JSON)]
    if query.offset + len(page.features) < page.matched:
        links.append(page_link("next", query.offset + query.limit, GEOJSON))
    if query.offset > 0:
        links.append(page_link("prev", max(0, query.offset - query.limit), GEOJSON))
    head = {
        "type": "FeatureCollection",
        "title": f"{source.title_zh} {source.title}",
        "numberMatched": page.matched,
        "numberReturned": len(page.features),
        "timeStamp": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
    body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [' + ",".join(page.features) + "]}"
    return respond(body, "items", GEOJSON, {"Content-Crs": f"<{crs}>"})


@bp.get("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    source = get_source(collection_id)
    query, crs = items_query(source, single=True)
    query.cache = _cache()
    feature = json.loads(features.item(get_session(), source, feature_id, query))
    feature["links"] = self_links(GEOJSON) + [
        link(url("ogc.collection", collection_id=source.id), "collection", JSON, source.title)
    ]
    return respond(feature, "item", GEOJSON, {"Content-Crs": f"<{crs}>"}, title=f"{source.title_zh} {feature_id}")
