"""``GET /api/openapi.json``: the OpenAPI 3.1 description of the JSON API, the tiles and the health check.

The document is built from small helpers so that every operation lists its parameters, its request body, what it
answers and the error shape (``{"error": {"code", "message"}}``). A test checks that every route under ``/api/``
is described here; the OGC API at ``/ogc`` describes itself at ``/ogc/api``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

__all__ = ["bp", "spec"]

bp = Blueprint("openapi", __name__)

Json = dict[str, Any]
STR: Json = {"type": "string"}
NUM: Json = {"type": "number"}
INT: Json = {"type": "integer", "minimum": 0}
OBJ: Json = {"type": "object"}
BOUNDARIES = ["precincts", "districts", "grids"]
IMPORT_LAYERS = [*BOUNDARIES, "key-places", "patrols", "hazards", "incidents"]
STATES = ["reported", "assessed", "dispatched", "resolved", "closed", "rejected"]
ERRORS = {"400": "bad parameter", "401": "not signed in", "403": "outside your role or precinct",
          "404": "no such thing", "422": "unusable data", "503": "database unavailable"}  # fmt: skip
MEDIA = {"json": "application/json", "geojson": "application/geo+json", "csv": "text/csv",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf",
         "gpkg": "application/geopackage+sqlite3", "zip": "application/zip",
         "kml": "application/vnd.google-earth.kml+xml", "pbf": "application/vnd.mapbox-vector-tile"}  # fmt: skip


def q(name: str, description: str, schema: Json = STR, *, required: bool = False) -> Json:
    return {"name": name, "in": "query", "description": description, "required": required, "schema": schema}


def path(name: str, description: str, schema: Json = STR) -> Json:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def enum(*values: str) -> Json:
    return {"type": "string", "enum": list(values)}


TIME = {"type": "string", "description": "ISO 8601 date or date-time; without a zone, Asia/Shanghai"}
WINDOW = [q("from", "start of the window", TIME), q("to", "end of the window", TIME)]
PRECINCT = q("precinct", "limit to one precinct code")
BBOX = q("bbox", "minx,miny,maxx,maxy in degrees (EPSG:4326)")
TOLERANCE = q("tolerance", "share below 1 still counted whole (0 ≤ t < 0.5)", {"type": "number"})


def _body(kind: str) -> Json:
    return {"description": kind, "content": {MEDIA.get(k, k): {"schema": OBJ} for k in kind.split("|")}}


def op(summary: str, params: list[Json] | None = None, *, body: Json | None = None, ok: str = "json",
       status: str = "200", more: tuple[str, ...] = ()) -> Json:  # fmt: skip
    """One operation: its parameters, body, success response (media kind) and the errors it may answer."""
    responses: Json = {status: _body(ok)}
    responses[status]["description"] = summary
    for code in (*ERRORS, *more):
        responses[code] = {"description": ERRORS.get(code, code), "content": {MEDIA["json"]: {"schema": ERROR_REF}}}
    operation: Json = {"summary": summary, "parameters": params or [], "responses": responses}
    if body is not None:
        operation["requestBody"] = body
    return operation


ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": STR, "message": STR, "details": OBJ},
        }
    },
}


def json_body(properties: Json, required: list[str] | None = None, *, optional: bool = False) -> Json:
    schema = {"type": "object", "properties": properties, "required": required or []}
    return {"required": not optional, "content": {MEDIA["json"]: {"schema": schema}}}


IMPORT_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "layer"],
                "properties": {
                    "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "layer": enum(*IMPORT_LAYERS),
                    **dict.fromkeys(("code_field", "name_field", "parent_field", "crs", "encoding", "precinct"), STR),
                    "source_layer": STR,
                    "user": STR,
                    "coords": enum("wgs84", "gcj02", "bd09"),
                    "mode": enum("replace", "append"),
                    "history": {"type": "string", "format": "binary"},
                },
            }
        }
    },
}
MOVES = {
    "moves": {
        "type": "array",
        "items": {"type": "object", "required": ["grid", "district"], "properties": {"grid": STR, "district": STR}},
    },
    "tolerance": NUM,
    "precinct": STR,
    "user": STR,
}
HAZARD = {
    "title": STR, "lon": NUM, "lat": NUM, "category": STR, "severity": enum("low", "medium", "high", "critical"),
    "description": STR, "reporter": STR, "coords": enum("wgs84", "gcj02", "bd09"),
}  # fmt: skip


def _boundaries() -> Json:
    paging = [q("limit", "at most this many features", INT), q("offset", "skip this many", INT)]
    by_layer = {"precincts": [], "districts": [PRECINCT], "grids": [PRECINCT, q("district", "a district code")]}
    return {
        f"/api/{layer}": {"get": op(f"current {layer} (GeoJSON)", [*by_layer[layer], BBOX, *paging], ok="geojson")}
        for layer in BOUNDARIES
    }


def _alignment() -> Json:
    doc = [PRECINCT, TOLERANCE, q("as_of", "the boundaries as they stood then", TIME)]
    return {
        "/api/alignment": {"get": op("the alignment document", doc)},
        "/api/alignment/{kind}.geojson": {
            "get": op(
                "gaps, overlaps or split grids",
                [path("kind", "", enum("gaps", "overlaps", "split-grids")), *doc],
                ok="geojson",
            )  # fmt: skip
        },
        "/api/alignment/moves": {"post": op("re-evaluate after moving grids", body=json_body(MOVES, ["moves"]))},
        "/api/alignment/proposal": {"post": op("the snap proposal", body=json_body(MOVES, optional=True))},
        "/api/alignment/apply": {
            "post": op(
                "write the proposal as a district version", body=json_body(MOVES, optional=True), status="201"
            )  # fmt: skip
        },
        "/api/alignment/workload": {"get": op("workload per district", [PRECINCT, TOLERANCE, *WINDOW])},
    }


def _imports() -> Json:
    return {
        "/api/imports": {
            "get": op("import history", [q("layer", "one layer", enum(*IMPORT_LAYERS))]),
            "post": op("import an uploaded file", body=IMPORT_FORM, status="201", more=("413",)),
        },
        "/api/imports/preview": {"post": op("check an upload without writing", body=IMPORT_FORM, more=("413",))},
    }


def _hazards() -> Json:
    code = path("code", "hazard code")
    move = json_body({"to": enum(*STATES), "actor": STR, "note": STR, "assignee": STR}, ["to"])
    listing = [q("state", "a state, or open", enum(*STATES, "open")), PRECINCT, q("grid", "a grid code"),
               q("overdue", "1 for overdue only", enum("0", "1", "true", "false")), BBOX]  # fmt: skip
    return {
        "/api/hazards": {
            "get": op("hazards (a GeoJSON FeatureCollection)", listing),
            "post": op("report a hazard", body=json_body(HAZARD, ["title", "lon", "lat"]), status="201"),
        },
        "/api/hazards/ledger.xlsx": {"get": op("the hazard ledger", [PRECINCT], ok="xlsx")},
        "/api/hazards/sla": {"get": op("hours allowed per severity")},
        "/api/hazards/{code}": {"get": op("one hazard with its events", [code])},
        "/api/hazards/{code}/transitions": {"post": op("move a hazard", [code], body=move, more=("409",))},
        "/api/hazards/photos/{name}": {"get": op("a hazard photo", [path("name", "file name")], ok="image/*")},
    }


def _points() -> Json:
    return {
        "/api/coverage": {
            "get": op(
                "patrol coverage",
                [*WINDOW, q("radius", "metres", NUM), PRECINCT, q("idle_hours", "hours", NUM), q("tz", "time zone")],
            )  # fmt: skip
        },
        "/api/key-places": {
            "get": op(
                "key places", [PRECINCT, q("grid", "grid code"), q("category", "category"), BBOX], ok="geojson"
            )  # fmt: skip
        },
        "/api/key-places/categories": {"get": op("key-place categories")},
        "/api/incidents": {"get": op("incidents", [*WINDOW, BBOX, PRECINCT, q("type", "incident type")], ok="geojson")},
        "/api/grid-stats": {"get": op("per-grid counts", [PRECINCT, *WINDOW])},
    }


def _map() -> Json:
    return {
        "/api/map/versions": {"get": op("current version of each layer")},
        "/api/map/grid-figures": {"get": op("per-grid figures for styling", [PRECINCT])},
        "/api/map/grids/{code}": {"get": op("one grid's panel", [path("code", "grid code")])},
        "/api/map/search": {"get": op("search units by code or name", [q("q", "text")])},
        "/api/map/labels/{layer_name}": {"get": op("label points", [path("layer_name", "a layer"), BBOX])},
        "/api/map/patrols": {"get": op("patrol tracks", [*(dict(p, required=True) for p in WINDOW), PRECINCT, BBOX])},
        "/api/map/district-stats": {"get": op("per-district figures", [*WINDOW, PRECINCT])},
    }


def _files() -> Json:
    fmt = enum("xlsx", "csv", "pdf", "geojson")
    layers = enum(*BOUNDARIES, "key-places", "hazards", "incidents", "split-grids", "gaps", "overlaps")
    return {
        "/api/reports/coverage.{fmt}": {
            "get": op(
                "the coverage report",
                [
                    path("fmt", "file format", fmt),
                    PRECINCT,
                    *WINDOW,
                    q("lang", "language", enum("zh", "en")),
                    q("tz", "time zone"),
                ],
                ok="xlsx|csv|pdf|geojson",
            )  # fmt: skip
        },
        "/api/export/{layer}.{ext}": {
            "get": op(
                "a layer as a file",
                [
                    path("layer", "layer or alignment finding", layers),
                    path("ext", "format", enum("gpkg", "shp.zip", "kml", "geojson")),
                    q("as_of", "as it stood then", TIME),
                    PRECINCT,
                    q("encoding", "text encoding of a Shapefile", enum("UTF-8", "GBK")),
                ],
                ok="gpkg|zip|kml|geojson",
            )  # fmt: skip
        },
    }


def _service() -> Json:
    tile = [path("layer", "layer", enum(*BOUNDARIES)), *(path(n, n, INT) for n in ("z", "x", "y")),
            q("v", "layer version (makes the URL cacheable for good)")]  # fmt: skip
    audit = [q("action", "action name"), q("user", "user name"), q("since", "from", TIME),
             q("limit", "1–5000", {"type": "integer", "minimum": 1, "maximum": 5000})]  # fmt: skip
    return {
        "/healthz": {"get": op("database and PostGIS versions")},
        "/tiles/{layer}/{z}/{x}/{y}.pbf": {"get": op("a vector tile", tile, ok="pbf")},
        "/api/openapi.json": {"get": op("this document")},
        "/api/me": {"get": op("who is asking")},
        "/api/audit": {"get": op("the audit log (admin)", audit)},
    }


def spec() -> Json:
    paths: Json = {}
    for part in (_boundaries, _alignment, _imports, _hazards, _points, _map, _files, _service):
        paths.update(part())
    return {
        "openapi": "3.1.0",
        "info": {"title": "jingwang 警网", "version": "1", "description": "grid-policing mapping API"},
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


@bp.get("/api/openapi.json")
def document() -> ResponseReturnValue:
    return jsonify(spec())
