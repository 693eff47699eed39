"""The routes the scope walk (``test_scope.py``) knows, with requests aimed at precinct B.

When a blueprint gains a route, add it to ``ROUTES``: ``(endpoint, method)`` → the requests to send, built from
real values of B in :class:`Ctx`. ``kind`` says what is expected of a precinct user of A: ``read`` (nothing of B
in the answer, or refused), ``write`` (refused, nothing changed), ``admin`` (403), ``public`` (not checked).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.services.sources import FINDINGS

A, B = "130133-07", "130133-10"
WINDOW = {"from": "2026-10-01", "to": "2026-12-01"}


@dataclass
class Call:
    method: str
    url: str
    kind: str = "read"  # read | write | admin | public
    json: Any = None
    data: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ctx:
    """Real values of precinct B to aim the requests at."""

    grid: str
    district: str
    hazard: str
    point: tuple[float, float]  # lon, lat inside B
    tile: tuple[int, int, int]  # z, x, y of a tile over B
    county_tile: tuple[int, int, int]  # a tile holding A and B
    collections: list[str]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def geojson_upload(code: str, lon: float, lat: float) -> dict[str, Any]:
    d = 0.002
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    feature = {"type": "Feature", "properties": {"code": code, "name": code}, "geometry": {"type": "Polygon",
               "coordinates": [ring]}}  # fmt: skip
    body = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    return {"file": (io.BytesIO(body), f"{code}.geojson")}


def _b_reads(path: str, **query: Any) -> list[Call]:
    """The route as it is, and asked for B explicitly."""
    return [Call("GET", path, query=query), Call("GET", path, query={**query, "precinct": B})]


def _ogc(ctx: Ctx, suffix: str) -> list[Call]:
    return [Call("GET", f"/ogc/collections/{cid}{suffix}") for cid in ctx.collections]


ROUTES: dict[tuple[str, str], Callable[[Ctx], list[Call]]] = {
    # pages
    ("pages.map_page", "GET"): lambda c: _b_reads("/"),
    ("pages.alignment", "GET"): lambda c: _b_reads("/alignment"),
    ("pages.upload", "GET"): lambda c: _b_reads("/upload"),
    ("pages.hazards", "GET"): lambda c: _b_reads("/hazards"),
    ("pages.reports", "GET"): lambda c: _b_reads("/reports"),
    # boundaries and tiles
    ("boundaries.collection", "GET"): lambda c: [
        x for layer in ("precincts", "districts", "grids") for x in _b_reads(f"/api/{layer}")
    ],  # fmt: skip
    ("tiles.tile", "GET"): lambda c: [
        Call("GET", f"/tiles/{layer}/{z}/{x}/{y}.pbf")
        for layer in ("precincts", "districts", "grids")
        for z, x, y in (c.tile, c.county_tile)
    ],  # fmt: skip
    # alignment
    ("alignment.document", "GET"): lambda c: _b_reads("/api/alignment"),
    ("alignment.geojson", "GET"): lambda c: [
        x for kind in ("gaps", "overlaps", "split-grids") for x in _b_reads(f"/api/alignment/{kind}.geojson")
    ],  # fmt: skip
    ("alignment.workload", "GET"): lambda c: _b_reads("/api/alignment/workload"),
    ("alignment.moves", "POST"): lambda c: [
        Call("POST", "/api/alignment/moves", json={"moves": [{"grid": c.grid, "district": c.district}]}),
        Call("POST", "/api/alignment/moves", json={"moves": [{"grid": c.grid, "district": c.district}], "precinct": B}),
    ],
    ("alignment.proposal", "POST"): lambda c: [
        Call("POST", "/api/alignment/proposal", json={}),
        Call("POST", "/api/alignment/proposal", json={"precinct": B}),
    ],  # fmt: skip
    ("alignment.apply", "POST"): lambda c: [Call("POST", "/api/alignment/apply", "write", json={"precinct": B})],
    # operations
    ("coverage.coverage", "GET"): lambda c: _b_reads("/api/coverage", **WINDOW),
    ("points.key_places", "GET"): lambda c: _b_reads("/api/key-places"),
    ("points.categories", "GET"): lambda c: [Call("GET", "/api/key-places/categories")],
    ("points.incidents", "GET"): lambda c: _b_reads("/api/incidents"),
    ("points.grid_stats", "GET"): lambda c: _b_reads("/api/grid-stats"),
    ("hazards.index", "GET"): lambda c: _b_reads("/api/hazards"),
    ("hazards.show", "GET"): lambda c: [Call("GET", f"/api/hazards/{c.hazard}")],
    ("hazards.ledger", "GET"): lambda c: _b_reads("/api/hazards/ledger.xlsx"),
    ("hazards.sla", "GET"): lambda c: [Call("GET", "/api/hazards/sla")],
    ("hazards.photo", "GET"): lambda c: [Call("GET", "/api/hazards/photos/nothing.jpg")],
    ("hazards.create", "POST"): lambda c: [
        Call("POST", "/api/hazards", "write", json={"title": "B", "lon": c.point[0], "lat": c.point[1]})
    ],  # fmt: skip
    ("hazards.move", "POST"): lambda c: [
        Call("POST", f"/api/hazards/{c.hazard}/transitions", "write", json={"to": "rejected"})
    ],  # fmt: skip
    # imports
    ("imports.history", "GET"): lambda c: [Call("GET", "/api/imports")],
    ("imports.preview", "POST"): lambda c: [
        Call("POST", "/api/imports/preview", data={"layer": "grids", **geojson_upload("ZZ-NEW", *c.point)})
    ],  # fmt: skip
    ("imports.create", "POST"): lambda c: [
        Call(
            "POST",
            "/api/imports",
            "write",
            data={"layer": "grids", "mode": "append", **geojson_upload("ZZ-NEW", *c.point)},
        ),
        Call(
            "POST",
            "/api/imports",
            "write",
            data={"layer": "grids", "mode": "append", "precinct": B, **geojson_upload("ZZ-NEW", *c.point)},
        ),
        Call(
            "POST",
            "/api/imports",
            "write",
            data={"layer": "grids", "mode": "replace", **geojson_upload(c.grid, *c.point)},
        ),
    ],  # fmt: skip
    # map data
    ("mapdata.versions", "GET"): lambda c: [Call("GET", "/api/map/versions")],
    ("mapdata.grid_figures", "GET"): lambda c: _b_reads("/api/map/grid-figures"),
    ("mapdata.grid", "GET"): lambda c: [Call("GET", f"/api/map/grids/{c.grid}")],
    ("mapdata.search", "GET"): lambda c: [Call("GET", "/api/map/search", query={"q": q}) for q in (B, "高村", c.grid)],
    ("mapdata.labels", "GET"): lambda c: [
        Call("GET", f"/api/map/labels/{layer}") for layer in ("precincts", "districts", "grids")
    ],  # fmt: skip
    ("mapdata.patrols", "GET"): lambda c: _b_reads("/api/map/patrols", **WINDOW),
    ("mapdata.district_stats", "GET"): lambda c: _b_reads("/api/map/district-stats"),
    # reports and exports
    ("reports.coverage", "GET"): lambda c: [
        x for fmt in ("xlsx", "csv", "pdf", "geojson") for x in _b_reads(f"/api/reports/coverage.{fmt}", **WINDOW)
    ],  # fmt: skip
    ("export.download", "GET"): lambda c: [
        x
        for layer in ("precincts", "districts", "grids", "key-places", "hazards", "incidents", *FINDINGS)
        for ext in ("gpkg", "shp.zip", "kml", "geojson")
        for x in _b_reads(f"/api/export/{layer}.{ext}")
    ],  # fmt: skip
    # OGC API
    ("ogc.landing", "GET"): lambda c: [Call("GET", "/ogc"), Call("GET", "/ogc/")],
    ("ogc.api", "GET"): lambda c: [Call("GET", "/ogc/api")],
    ("ogc.conformance", "GET"): lambda c: [Call("GET", "/ogc/conformance")],
    ("ogc.collections", "GET"): lambda c: [Call("GET", "/ogc/collections")],
    ("ogc.collection", "GET"): lambda c: _ogc(c, ""),
    ("ogc.items", "GET"): lambda c: (
        _ogc(c, "/items")
        + [Call("GET", f"/ogc/collections/{cid}/items", query={"precinct": B}) for cid in c.collections]
    ),  # fmt: skip
    ("ogc.item", "GET"): lambda c: [
        Call("GET", f"/ogc/collections/{cid}/items/{code}")
        for cid in c.collections
        for code in (c.grid, c.district, B, c.hazard)
    ],  # fmt: skip
    ("ogc.queryables", "GET"): lambda c: _ogc(c, "/queryables"),
    ("ogc.tilesets", "GET"): lambda c: _ogc(c, "/tiles"),
    ("ogc.tileset", "GET"): lambda c: _ogc(c, "/tiles/WebMercatorQuad"),
    ("ogc.tilejson", "GET"): lambda c: _ogc(c, "/tiles/tilejson.json"),
    ("ogc.tile", "GET"): lambda c: [
        Call("GET", f"/ogc/collections/{cid}/tiles/WebMercatorQuad/{z}/{y}/{x}")
        for cid in c.collections
        for z, x, y in (c.tile, c.county_tile)
    ],  # fmt: skip
    ("openapi.document", "GET"): lambda c: [Call("GET", "/api/openapi.json")],
    # accounts
    ("account.me", "GET"): lambda c: [Call("GET", "/api/me")],
    ("account.audit", "GET"): lambda c: [Call("GET", "/api/audit", "admin")],
    ("auth.logout", "POST"): lambda c: [Call("POST", "/logout", "public")],
}
