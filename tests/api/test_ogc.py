"""OGC API – Features and Tiles at /ogc on the demo city: shapes, paging, filters, CRS, scope, HTML escaping."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import mapbox_vector_tile
import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import text

from api.layers import LAYERS
from api.services.boundaries import ImportMeta, write_version
from api.services.store import load_layer
from tests.conftest import make_user

EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
BOX = "114.70,37.70,114.80,37.80"


def _get(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def _path(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + ("?" + parts.query if parts.query else "")


def _link(doc: dict, rel: str) -> dict | None:
    return next((link for link in doc["links"] if link["rel"] == rel), None)


def _count(session, sql: str, **params) -> int:
    return int(session.scalar(text(sql), params))


def test_landing_conformance_and_api_definition(demo_client):
    landing = _get(demo_client, "/ogc").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conformance = _get(demo_client, _path(_link(landing, "conformance")["href"])).get_json()
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance["conformsTo"]
    api = _get(demo_client, _path(_link(landing, "service-desc")["href"]))
    assert api.mimetype == "application/vnd.oai.openapi+json"
    limit = api.get_json()["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (10, 10_000)
    assert "/collections/grids/items" in api.get_json()["paths"]
    assert "/collections/grids/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}" in api.get_json()["paths"]
    for path in api.get_json()["paths"]:  # every path the definition names answers
        concrete = path.replace("{featureId}", "130133-01").replace("{tileMatrix}", "12")
        concrete = concrete.replace("{tileRow}", "1583").replace("{tileCol}", "3353")
        if "{" not in concrete and not concrete.endswith("/items/130133-01"):
            _get(demo_client, "/ogc" + concrete.rstrip("/"))


def test_collections_list_every_layer_with_extent_and_crs(demo_client):
    doc = _get(demo_client, "/ogc/collections").get_json()
    ids = [c["id"] for c in doc["collections"]]
    expected = ["precincts", "districts", "grids", "key-places", "hazards", "incidents"]
    assert ids == [*expected, "split-grids", "gaps", "overlaps"]
    grids = _get(demo_client, "/ogc/collections/grids").get_json()
    west, south, east, north = grids["extent"]["spatial"]["bbox"][0]
    assert 114 < west < east < 115.5 and 37 < south < north < 38.5
    assert EPSG4490 in grids["crs"] and grids["storageCrs"].endswith("CRS84")
    assert {"items", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"} <= {k["rel"] for k in grids["links"]}
    hazards = _get(demo_client, "/ogc/collections/hazards").get_json()
    assert hazards["extent"]["temporal"]["interval"][0][0] < hazards["extent"]["temporal"]["interval"][0][1]


def test_paging_with_next_links_reaches_every_grid_once(demo_client, demo_session):
    url, seen, pages = "/ogc/collections/grids/items?limit=100", [], 0
    while url:
        doc = _get(demo_client, url).get_json()
        assert doc["numberReturned"] == len(doc["features"]) <= 100
        seen += [f["id"] for f in doc["features"]]
        following = _link(doc, "next")
        url = _path(following["href"]) if following else ""
        pages += 1
    total = _count(demo_session, "SELECT count(*) FROM grid WHERE valid_to IS NULL")
    assert len(seen) == len(set(seen)) == total == doc["numberMatched"]
    assert pages == -(-total // 100)
    assert _link(doc, "prev") is not None
    first = _get(demo_client, "/ogc/collections/grids/items").get_json()
    assert first["numberReturned"] == 10 and _link(first, "prev") is None  # default limit
    _get(demo_client, "/ogc/collections/grids/items?limit=0", 400)


def test_bbox_and_property_filters(demo_client, demo_session):
    doc = _get(demo_client, f"/ogc/collections/grids/items?bbox={BOX}&limit=10000").get_json()
    box = shapely.box(*map(float, BOX.split(",")))
    assert doc["features"] and all(shape(f["geometry"]).intersects(box) for f in doc["features"])
    sql = "SELECT count(*) FROM grid WHERE valid_to IS NULL AND ST_Intersects(geom, ST_MakeEnvelope(:a,:b,:c,:d,4326))"
    assert doc["numberMatched"] == _count(demo_session, sql, a=114.7, b=37.7, c=114.8, d=37.8)

    district = doc["features"][0]["properties"]["district_code"]
    one = _get(demo_client, f"/ogc/collections/grids/items?district={district}&limit=10000").get_json()
    assert {f["properties"]["district_code"] for f in one["features"]} == {district}
    sql = "SELECT count(*) FROM grid WHERE valid_to IS NULL AND district_code = :d"
    assert one["numberMatched"] == _count(demo_session, sql, d=district)
    open_ = _get(demo_client, "/ogc/collections/hazards/items?state=reported&limit=10000").get_json()
    assert open_["numberMatched"] == _count(demo_session, "SELECT count(*) FROM hazard WHERE state = 'reported'")
    _get(demo_client, "/ogc/collections/grids/items?distrct=1", 400)  # a typo is refused, not ignored
    _get(demo_client, "/ogc/collections/key-places/items?risk_level=high", 400)


def test_crs_epsg4490_is_latitude_first(demo_client):
    lonlat = _get(demo_client, "/ogc/collections/precincts/items/130133-01")
    assert lonlat.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    latlon = _get(demo_client, f"/ogc/collections/precincts/items/130133-01?crs={EPSG4490}")
    assert latlon.headers["Content-Crs"] == f"<{EPSG4490}>"
    x, y = lonlat.get_json()["geometry"]["coordinates"][0][0][0]
    assert 114 < x < 115.5 and 37 < y < 38.5
    assert latlon.get_json()["geometry"]["coordinates"][0][0][0] == [y, x]
    south, west, north, east = 37.70, 114.70, 37.80, 114.80
    swapped = f"bbox={south},{west},{north},{east}&bbox-crs={EPSG4490}"
    a = _get(demo_client, f"/ogc/collections/grids/items?bbox={BOX}").get_json()
    b = _get(demo_client, f"/ogc/collections/grids/items?{swapped}").get_json()
    assert a["numberMatched"] == b["numberMatched"] > 0
    _get(demo_client, "/ogc/collections/grids/items?crs=EPSG:3857", 400)


def test_datetime_selects_a_version_or_a_time_window(demo_client, demo_session):
    before = demo_session.scalar(text("SELECT clock_timestamp()"))
    frame = load_layer(demo_session, "precincts")
    old_name = frame.loc[0, "name"]
    frame.loc[0, "name"] = "新名派出所"
    write_version(demo_session, LAYERS["precincts"], frame, ImportMeta(file_name="renamed.geojson"))
    code = frame.loc[0, "code"]
    assert (
        _get(demo_client, f"/ogc/collections/precincts/items/{code}").get_json()["properties"]["name"] == "新名派出所"
    )
    stamp = before.isoformat().replace("+", "%2B")
    old = _get(demo_client, f"/ogc/collections/precincts/items?datetime={stamp}&code={code}").get_json()
    assert [f["properties"]["name"] for f in old["features"]] == [old_name]
    _get(demo_client, f"/ogc/collections/precincts/items?datetime={stamp}/..", 400)  # a version is an instant

    first, last = demo_session.execute(text("SELECT min(reported_at), max(reported_at) FROM hazard")).one()
    middle = (first + (last - first) / 2).isoformat().replace("+", "%2B")
    doc = _get(demo_client, f"/ogc/collections/hazards/items?datetime=../{middle}&limit=10000").get_json()
    sql = "SELECT count(*) FROM hazard WHERE reported_at <= :m"
    assert 0 < doc["numberMatched"] == _count(demo_session, sql, m=first + (last - first) / 2)


def test_findings_collections_match_the_alignment(demo_client):
    summary = _get(demo_client, "/api/alignment").get_json()["summary"]
    split = _get(demo_client, "/ogc/collections/split-grids/items?limit=10000").get_json()
    assert split["numberMatched"] == summary["split"] > 0
    code = split["features"][0]["id"]
    assert _get(demo_client, f"/ogc/collections/split-grids/items/{code}").get_json()["properties"]["status"] == "split"
    gaps = _get(demo_client, "/ogc/collections/gaps/items?limit=10000").get_json()
    assert all(shape(f["geometry"]).is_valid for f in gaps["features"])
    assert _get(demo_client, "/ogc/collections/gaps/queryables").get_json()["properties"]["level"]["type"] == "string"


def test_precinct_scope_applies(demo_app, demo_connection, demo_session):
    token = make_user(demo_connection, "clerk-02", role="precinct", precinct="130133-02")
    client = demo_app.test_client(bearer=token)
    doc = _get(client, "/ogc/collections/grids/items?limit=10000").get_json()
    assert {f["properties"]["precinct_code"] for f in doc["features"]} == {"130133-02"}
    sql = "SELECT count(*) FROM grid WHERE valid_to IS NULL AND precinct_code = '130133-02'"
    assert doc["numberMatched"] == _count(demo_session, sql)
    assert _get(client, "/ogc/collections/precincts/items").get_json()["numberMatched"] == 1
    _get(client, "/ogc/collections/grids/items?precinct=130133-03", 403)
    _get(client, "/ogc/collections/precincts/items/130133-03", 404)
    _get(demo_app.test_client(bearer=None), "/ogc/collections/grids/items", 401)  # tokens apply here too


def test_html_escapes_hostile_names(demo_client, demo_session):
    hostile = "<img src=x onerror=alert(1)>"
    code = demo_session.scalar(text("SELECT min(code) FROM grid WHERE valid_to IS NULL"))
    demo_session.execute(
        text("UPDATE grid SET name = :n WHERE code = :c AND valid_to IS NULL"), {"n": hostile, "c": code}
    )
    for url in (f"/ogc/collections/grids/items?code={code}&f=html", f"/ogc/collections/grids/items/{code}?f=html"):
        page = _get(demo_client, url)
        assert page.mimetype == "text/html"
        body = page.get_data(as_text=True)
        assert hostile not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    browser = demo_client.get("/ogc/collections", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.mimetype == "text/html" and "grids" in browser.get_data(as_text=True)


@pytest.mark.parametrize(
    "url", ["/ogc/collections/nope", "/ogc/collections/nope/items", "/ogc/collections/grids/items/nope"]
)
def test_unknown_collection_or_item_is_404(demo_client, url):
    _get(demo_client, url, 404)


def test_tilesets_and_tilejson_point_at_the_vector_tiles(demo_client):
    tilesets = _get(demo_client, "/ogc/collections/grids/tiles").get_json()["tilesets"]
    assert tilesets[0]["tileMatrixSetURI"].endswith("WebMercatorQuad")
    tileset = _get(demo_client, _path(tilesets[0]["links"][0]["href"])).get_json()
    template = _link(tileset, "item")["href"]
    x, y, z = 3353, 1583, 12  # a tile over the county (114.78, 37.75)
    url = template.replace("{tileMatrix}", str(z)).replace("{tileCol}", str(x)).replace("{tileRow}", str(y))
    tile = _get(demo_client, _path(url))
    assert tile.mimetype == "application/vnd.mapbox-vector-tile"
    assert mapbox_vector_tile.decode(tile.data)["grids"]["features"]
    assert _get(demo_client, f"/ogc/collections/grids/tiles/WebMercatorQuad/{z}/{y}/{x}").data == tile.data
    tilejson = _get(demo_client, _path(_link(tileset, "describedby")["href"])).get_json()
    assert tilejson["tilejson"] == "3.0.0" and tilejson["vector_layers"][0]["id"] == "grids"
    xyz = tilejson["tiles"][0].replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    assert _get(demo_client, _path(xyz)).data == tile.data
    _get(demo_client, "/ogc/collections/hazards/tiles", 404)


def _q(value) -> str:
    return value.isoformat().replace("+", "%2B")


def test_datetime_instants_intervals_and_open_ends(demo_client, demo_session):
    """Timestamps: an instant is that moment (a date the whole local day); ``a/b`` includes both ends (a date as
    the end: all of that day); ``..`` leaves an end open; a feature without a time is in no interval."""
    url = "/ogc/collections/hazards/items?limit=10000&datetime="
    first, last = demo_session.execute(text("SELECT min(reported_at), max(reported_at) FROM hazard")).one()
    total = _count(demo_session, "SELECT count(*) FROM hazard WHERE geom IS NOT NULL")

    def matched(value: str) -> int:
        return _get(demo_client, url + value).get_json()["numberMatched"]

    at = _count(demo_session, "SELECT count(*) FROM hazard WHERE reported_at = :t", t=last)
    assert matched(_q(last)) == at >= 1
    assert matched(f"{_q(first)}/..") == matched("../..") == matched(f"../{_q(last)}") == total
    assert matched(f"{_q(last)}/..") == at
    middle = first + (last - first) / 2
    after = _count(demo_session, "SELECT count(*) FROM hazard WHERE reported_at >= :m", m=middle)
    assert 0 < matched(f"{_q(middle)}/..") == after < total
    assert matched(f"{_q(first)}/{_q(middle)}") + after == total + _count(
        demo_session, "SELECT count(*) FROM hazard WHERE reported_at = :m", m=middle
    )

    day_sql = (
        "SELECT count(*) FROM hazard WHERE (reported_at AT TIME ZONE 'Asia/Shanghai')::date"
        " BETWEEN CAST(:a AS date) AND CAST(:b AS date)"
    )
    day = demo_session.scalar(text("SELECT (max(reported_at) AT TIME ZONE 'Asia/Shanghai')::date FROM hazard"))
    week = day - timedelta(days=6)
    assert matched(day.isoformat()) == _count(demo_session, day_sql, a=day, b=day) >= 1  # the whole day
    in_week = _count(demo_session, day_sql, a=week, b=day)
    assert matched(f"{week.isoformat()}/{day.isoformat()}") == in_week  # the last day included
    assert in_week > _count(demo_session, day_sql, a=week, b=day - timedelta(days=1))

    dated = "SELECT count(*) FROM incident WHERE geom IS NOT NULL AND occurred_at IS NOT NULL"
    incidents = _get(demo_client, "/ogc/collections/incidents/items?datetime=../..").get_json()
    assert incidents["numberMatched"] == _count(demo_session, dated)
    places = _get(demo_client, "/ogc/collections/key-places/items?datetime=2020-01-01").get_json()
    assert places["numberMatched"] == _count(demo_session, "SELECT count(*) FROM key_place")  # no time: not filtered

    for bad in (f"{_q(last)}/{_q(first)}", "..", "2026-13-01", "a/b/c", f"{_q(first)}/{_q(last)}/.."):
        _get(demo_client, url + bad, 400)
    for versioned in ("precincts", "split-grids"):  # one version or one alignment: an instant only
        _get(demo_client, f"/ogc/collections/{versioned}/items?datetime=../..", 400)


def test_datetime_date_selects_the_version_of_that_midnight(demo_client, demo_session):
    today = demo_session.scalar(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date"))
    tomorrow = (today + timedelta(days=1)).isoformat()
    current = _get(demo_client, "/ogc/collections/districts/items?limit=10000").get_json()
    dated = _get(demo_client, f"/ogc/collections/districts/items?limit=10000&datetime={tomorrow}").get_json()
    assert dated["numberMatched"] == current["numberMatched"] > 0
    assert _get(demo_client, "/ogc/collections/districts/items?datetime=1990-01-01").get_json()["numberMatched"] == 0


def test_next_links_keep_the_query_and_step_by_limit(demo_client, demo_session):
    district = demo_session.scalar(text("SELECT min(district_code) FROM grid WHERE valid_to IS NULL"))
    sql = "SELECT count(*) FROM grid WHERE valid_to IS NULL AND district_code = :d"
    expected = _count(demo_session, sql, d=district)
    assert expected > 3
    url = f"/ogc/collections/grids/items?district={district}&crs={EPSG4490}&bbox=114,37,116,39&limit=3"
    seen, offset = [], 0
    while url:
        doc = _get(demo_client, url).get_json()
        assert doc["numberMatched"] == expected and doc["numberReturned"] == len(doc["features"])
        assert doc["numberReturned"] == min(3, expected - offset)
        for feature in doc["features"]:
            lat, lon = feature["geometry"]["coordinates"][0][0][0]
            assert 37 < lat < 38.5 < 114 < lon < 115.5  # EPSG:4490 on every page: latitude first
        seen += [f["id"] for f in doc["features"]]
        following = _link(doc, "next")
        if following:
            query = dict(p.split("=", 1) for p in urlsplit(following["href"]).query.split("&"))
            assert query["offset"] == str(offset + 3) and query["limit"] == "3"
            assert query["district"] == district and query["bbox"] == "114%2C37%2C116%2C39"
            assert "4490" in query["crs"] and following["type"] == "application/geo+json"
        url = _path(following["href"]) if following else ""
        offset += 3
    assert len(seen) == len(set(seen)) == expected
    assert "prev" in {k["rel"] for k in doc["links"]} and _link(doc, "prev")["href"].count("offset=") == 1

    beyond = _get(demo_client, "/ogc/collections/grids/items?offset=100000").get_json()
    assert beyond["numberReturned"] == 0 and beyond["features"] == [] and _link(beyond, "next") is None
    assert beyond["numberMatched"] == _count(demo_session, "SELECT count(*) FROM grid WHERE valid_to IS NULL")
    _get(demo_client, "/ogc/collections/grids/items?offset=-1", 400)
    _get(demo_client, "/ogc/collections/grids/items?bbox=1,2,3", 400)


def test_html_representation_of_every_resource(demo_client):
    code = _get(demo_client, "/ogc/collections/grids/items?limit=1").get_json()["features"][0]["id"]
    pages = {
        "/ogc": "collections",
        "/ogc/conformance": "ogcapi-features-1/1.0/conf/html",
        "/ogc/collections": "key-places",
        "/ogc/collections/grids": "/ogc/collections/grids/items",
        "/ogc/collections/grids/items?limit=5": "offset=5",
        f"/ogc/collections/grids/items/{code}": code,
        "/ogc/collections/grids/queryables": "district",
        "/ogc/collections/grids/tiles": "WebMercatorQuad",
    }
    for url, needle in pages.items():
        page = _get(demo_client, url + ("&" if "?" in url else "?") + "f=html")
        body = page.get_data(as_text=True)
        assert page.mimetype == "text/html" and "<h1>" in body and needle in body, url
    items = _get(demo_client, "/ogc/collections/grids/items?limit=5&f=html").get_data(as_text=True)
    following = re.search(r'href="([^"]+)">[^<]*</a> \(next, text/html\)', items)
    assert following and "5 / " in items  # numberReturned / numberMatched
    assert html.unescape(following.group(1)).endswith("/ogc/collections/grids/items?limit=5&offset=5&f=html")
    _get(demo_client, "/ogc/collections?f=xml", 400)


def test_findings_filter_bbox_and_crs(demo_client):
    doc = _get(demo_client, "/api/alignment").get_json()
    by_level = {}
    for gap in doc["gaps"]:
        by_level[gap["level"]] = by_level.get(gap["level"], 0) + 1
    assert by_level, "the demo city has gaps"
    for level, count in by_level.items():
        got = _get(demo_client, f"/ogc/collections/gaps/items?level={level}&limit=10000").get_json()
        assert got["numberMatched"] == count and {f["properties"]["level"] for f in got["features"]} == {level}
    lonlat = _get(demo_client, "/ogc/collections/split-grids/items?limit=1").get_json()["features"][0]
    latlon = _get(demo_client, f"/ogc/collections/split-grids/items/{lonlat['id']}?crs={EPSG4490}")
    assert latlon.headers["Content-Crs"] == f"<{EPSG4490}>"
    x, y = lonlat["geometry"]["coordinates"][0][0][0]
    assert latlon.get_json()["geometry"]["coordinates"][0][0][0] == [y, x]
    box = f"{x - 1e-4},{y - 1e-4},{x + 1e-4},{y + 1e-4}"
    near = _get(demo_client, f"/ogc/collections/split-grids/items?bbox={box}&limit=10000").get_json()
    assert lonlat["id"] in {f["id"] for f in near["features"]}
    assert near["numberMatched"] < _get(demo_client, "/ogc/collections/split-grids/items").get_json()["numberMatched"]
