"""The read-only GeoJSON endpoints and /healthz on the demo city."""

from __future__ import annotations

import shapely
from shapely.geometry import shape
from sqlalchemy import text


def _features(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    doc = response.get_json()
    assert doc["type"] == "FeatureCollection"
    assert doc["numberReturned"] == len(doc["features"])
    return doc["features"]


def test_healthz_reports_postgis(demo_client):
    response = demo_client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"].startswith("PostgreSQL 1")
    assert tuple(int(p) for p in body["postgis"].split(".")[:2]) >= (3, 3)


def test_precincts_are_valid_geojson_with_code_and_name(demo_client):
    features = _features(demo_client, "/api/precincts")
    assert len(features) == 11
    codes = [f["properties"]["code"] for f in features]
    assert codes == sorted(codes) and codes[0] == "130133-01"  # codes stay strings, leading zeros kept
    for feature in features:
        geom = shape(feature["geometry"])
        assert geom.geom_type == "MultiPolygon" and geom.is_valid and not geom.is_empty
        assert feature["properties"]["name"].endswith("派出所")
        assert feature["id"] == feature["properties"]["code"]
        assert "township" in feature["properties"]  # free attributes are flattened into properties


def test_districts_filter_by_precinct(demo_client, demo_session):
    every = _features(demo_client, "/api/districts")
    assert len(every) == demo_session.scalar(text("SELECT count(*) FROM district WHERE valid_to IS NULL"))
    one = _features(demo_client, "/api/districts?precinct=130133-02")
    assert 0 < len(one) < len(every)
    assert {f["properties"]["precinct_code"] for f in one} == {"130133-02"}
    assert all(f["properties"]["officer"] for f in one)
    assert _features(demo_client, "/api/districts?precinct=nope") == []


def test_grids_filters_bbox_and_paging(demo_client, demo_session):
    every = _features(demo_client, "/api/grids")
    assert len(every) == demo_session.scalar(text("SELECT count(*) FROM grid WHERE valid_to IS NULL"))
    district = every[0]["properties"]["district_code"]
    in_district = _features(demo_client, f"/api/grids?district={district}")
    expected = [f for f in every if f["properties"]["district_code"] == district]
    assert [f["id"] for f in in_district] == [f["id"] for f in expected]

    # bbox: exactly the grids whose geometry meets the box
    box = shapely.box(114.75, 37.70, 114.80, 37.75)
    in_box = _features(demo_client, "/api/grids?bbox=114.75,37.70,114.80,37.75")
    expected_ids = {f["id"] for f in every if shape(f["geometry"]).intersects(box)}
    assert expected_ids and {f["id"] for f in in_box} == expected_ids

    page = demo_client.get("/api/grids?limit=10&offset=20").get_json()
    assert [f["id"] for f in page["features"]] == [f["id"] for f in every[20:30]]
    assert page["numberMatched"] == len(every)

    props = every[0]["properties"]
    for key in ("code", "name", "precinct_code", "community", "township", "households", "grid_worker"):
        assert key in props


def test_bad_requests_are_json(demo_client):
    response = demo_client.get("/api/grids?bbox=1,2,3")
    assert response.status_code == 400
    assert "bbox" in response.get_json()["error"]["message"]
    response = demo_client.get("/api/grids?limit=-1")
    assert response.status_code == 400
    response = demo_client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
