"""``POST /api/imports`` and ``/api/imports/preview``: the same service as the CLI, over HTTP."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import text

from tests.geo.builders import CHICAGO, grids, shapefile_parts, write


def _post(client, url: str, files: list[Path], **form: str):
    data: dict = dict(form)
    data["file"] = [(io.BytesIO(p.read_bytes()), p.name) for p in files]
    return client.post(url, data=data, content_type="multipart/form-data")


def test_preview_writes_nothing_and_shows_the_features(client, session):
    response = _post(client, "/api/imports/preview", [CHICAGO / "police_districts.zip"], layer="precincts")
    assert response.status_code == 200, response.get_json()
    doc = response.get_json()
    assert doc["import_id"] is None and doc["counts"]["features"] == 23
    assert len(doc["preview"]["features"]) == 23
    assert "DIST_NUM" in doc["columns"]
    assert doc["fields"]["code"] == "DIST_NUM"
    assert session.scalar(text("SELECT count(*) FROM boundary_import")) == 0


def test_import_over_http_with_a_bare_shapefile_and_chinese_names(client, session, tmp_path):
    shp = write(grids(4490), tmp_path / "网格.shp", encoding="GBK")
    response = _post(client, "/api/imports", shapefile_parts(shp), layer="grids", user="clerk")
    assert response.status_code == 201, response.get_json()
    doc = response.get_json()
    assert doc["counts"]["features"] == 2 and doc["crs_in"].endswith("4490")
    names = set(session.scalars(text("SELECT name FROM grid WHERE valid_to IS NULL")))
    assert names == set(grids()["名称"])
    who = session.scalar(text("SELECT created_by FROM boundary_import WHERE id = :i"), {"i": doc["import_id"]})
    assert who == "test-admin"  # the signed-in user, not what the form claims
    listed = client.get("/api/imports?layer=grids").get_json()["imports"]
    assert listed[0]["id"] == doc["import_id"] and listed[0]["file_name"] == "网格.shp"


def test_refusals_are_422_with_the_reason_and_leave_no_files(client, app, tmp_path):
    uploads = Path(app.config["JINGWANG_HOME"]) / "uploads"
    before = set(uploads.glob("*")) if uploads.exists() else set()
    shp = write(grids(4490), tmp_path / "noprj.shp")
    parts = [p for p in shapefile_parts(shp) if p.suffix != ".prj"]
    response = _post(client, "/api/imports", parts, layer="grids")
    assert response.status_code == 422
    assert "--crs" in response.get_json()["error"]["message"]
    assert set(uploads.glob("*")) == before


def test_bad_layer_and_missing_file(client):
    assert _post(client, "/api/imports", [CHICAGO / "police_districts.zip"], layer="people").status_code == 400
    response = client.post("/api/imports", data={"layer": "grids"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "file" in response.get_json()["error"]["message"]


def test_upload_over_the_size_limit_is_refused(app, tmp_path):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = _post(app.test_client(), "/api/imports", [CHICAGO / "police_districts.zip"], layer="precincts")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
