"""Boundary imports through the CLI on real and generated files: counts, versions, atomicity, revert."""

from __future__ import annotations

import json
from datetime import timedelta

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import text

from api.services.store import load_layer
from geo.crs import wgs84_to_gcj02
from tests.geo.builders import CHICAGO, SF, grids, write, write_json


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _current(session, table: str) -> int:
    return session.scalar(text(f"SELECT count(*) FROM {table} WHERE valid_to IS NULL"))


def test_chicago_districts_dissolve_25_rows_into_23(runner, session):
    doc = _json(runner.invoke("import", "precincts", str(CHICAGO / "police_districts.zip"), "--json"))
    assert doc["counts"]["rows_in"] == 25 and doc["counts"]["features"] == 23
    assert doc["counts"]["dissolved"] == 1 and doc["dissolved"][0]["code"] == "31"
    assert doc["fields"]["code"] == "DIST_NUM"
    assert _current(session, "precinct") == 23
    row = session.execute(
        text("SELECT file_name, sha256, crs_in, counts FROM boundary_import WHERE id = :i"), {"i": doc["import_id"]}
    ).one()
    assert row.file_name == "police_districts.zip" and len(row.sha256) == 64
    assert row.counts["features"] == 23


def test_chicago_beats_keep_leading_zeros_and_find_their_precinct(runner, session):
    _json(runner.invoke("import", "precincts", str(CHICAGO / "police_districts.zip"), "--json"))
    doc = _json(runner.invoke("import", "districts", str(CHICAGO / "police_beats.zip"), "--json"))
    assert doc["counts"]["rows_in"] == 277 and doc["counts"]["features"] == 275
    codes = set(session.scalars(text("SELECT code FROM district WHERE valid_to IS NULL")))
    assert "0111" in codes and "111" not in codes
    # the file's DISTRICT says "01" where precincts say "1": both kept as written
    parent = session.scalar(text("SELECT precinct_code FROM district WHERE code = '0111' AND valid_to IS NULL"))
    assert parent == "01"


def test_districts_without_parent_column_take_the_precinct_they_overlap_most(runner, session, tmp_path):
    _json(runner.invoke("import", "precincts", str(CHICAGO / "police_districts.zip"), "--json"))
    beats = gpd.read_file(CHICAGO / "police_beats.zip").dissolve("BEAT_NUM").reset_index()
    path = write(beats[["BEAT_NUM", "geometry"]], tmp_path / "beats.geojson")
    doc = _json(runner.invoke("import", "districts", str(path), "--json"))
    assert doc["counts"]["parents_by_overlap"] == 275 and doc["counts"]["without_parent"] == 0
    got = dict(session.execute(text("SELECT code, precinct_code FROM district WHERE valid_to IS NULL")).all())
    expected = {code: str(int(d)) for code, d in zip(beats["BEAT_NUM"], beats["DISTRICT"], strict=True)}
    agree = sum(got[c] == expected[c] for c in expected)
    assert agree == 275


def test_community_areas_from_us_feet(runner, session):
    doc = _json(runner.invoke("import", "grids", str(CHICAGO / "community_areas.zip"), "--json"))
    assert doc["counts"]["features"] == 77 and "3435" in doc["crs_in"]
    area_m2 = session.scalar(text("SELECT sum(ST_Area(geom::geography)) FROM grid WHERE valid_to IS NULL"))
    shape_area_ft2 = gpd.read_file(CHICAGO / "community_areas.zip")["SHAPE_AREA"].astype(float).sum()
    assert abs(area_m2 / (shape_area_ft2 * 0.09290341161) - 1) < 0.005


def test_messy_file_is_refused_and_nothing_changes(runner, session):
    before = session.scalar(text("SELECT count(*) FROM boundary_import"))
    result = runner.invoke("import", "grids", str(CHICAGO / "community_areas_messy.geojson"))
    assert result.exit_code == 1
    assert "EPSG:4236" in result.stderr and "--crs EPSG:4326" in result.stderr
    result = runner.invoke("import", "grids", str(CHICAGO / "community_areas_messy.geojson"), "--crs", "EPSG:4326")
    assert result.exit_code == 1 and "AREA_NUMBE" in result.stderr
    assert session.scalar(text("SELECT count(*) FROM boundary_import")) == before
    assert _current(session, "grid") == 0


def test_sf_invalid_polygons_are_repaired_and_reported(runner, session):
    doc = _json(runner.invoke("import", "precincts", str(SF / "police_districts.geojson"), "--json"))
    assert doc["counts"]["features"] == 10 and doc["counts"]["repaired"] == 2
    assert session.scalar(text("SELECT count(*) FROM precinct WHERE NOT ST_IsValid(geom)")) == 0


def test_a_bad_last_feature_leaves_the_store_exactly_as_before(runner, session, tmp_path):
    _json(runner.invoke("import", "grids", str(write(grids(4326), tmp_path / "good.geojson")), "--json"))
    snapshot = session.execute(text("SELECT id, code, valid_to FROM grid ORDER BY id")).all()
    imports = session.scalar(text("SELECT count(*) FROM boundary_import"))
    bad = grids(4326)
    bad.loc[len(bad)] = {"编码": "003", "名称": "坏", "geometry": shapely.Point(114.8, 37.75)}
    result = runner.invoke("import", "grids", str(write(bad, tmp_path / "bad.geojson")))
    assert result.exit_code == 1 and "003" in result.stderr
    assert session.execute(text("SELECT id, code, valid_to FROM grid ORDER BY id")).all() == snapshot
    assert session.scalar(text("SELECT count(*) FROM boundary_import")) == imports


def test_versions_revert_and_as_of(runner, session, tmp_path):
    first = _json(runner.invoke("import", "grids", str(write(grids(4326), tmp_path / "v1.geojson")), "--json"))
    renamed = grids(4326)
    renamed["名称"] = ["一", "二"]
    second = _json(runner.invoke("import", "grids", str(write(renamed, tmp_path / "v2.geojson")), "--json"))
    assert second["counts"]["closed"] == 2
    assert sorted(load_layer(session, "grids")["name"]) == ["一", "二"]
    assert session.scalar(text("SELECT count(*) FROM grid")) == 4  # nothing deleted

    at = session.scalar(text("SELECT created_at FROM boundary_import WHERE id = :i"), {"i": first["import_id"]})
    old = load_layer(session, "grids", as_of=at + timedelta(microseconds=1))
    assert sorted(old["name"]) == sorted(grids()["名称"])

    listed = runner.invoke("versions", "--layer", "grids", "--json")
    ids = [r["id"] for r in _json(listed)["imports"]]
    assert ids[:2] == [second["import_id"], first["import_id"]]

    back = _json(runner.invoke("revert", str(first["import_id"]), "--json"))
    assert back["features"] == 2 and back["closed"] == 2
    assert sorted(load_layer(session, "grids")["name"]) == sorted(grids()["名称"])
    assert session.scalar(text("SELECT count(*) FROM grid")) == 6
    audited = session.execute(text("SELECT target, details FROM audit_log WHERE action = 'revert'")).all()
    assert [target for target, _ in audited] == [f"import {first['import_id']}"]
    assert audited[0][1]["layer"] == "grids" and audited[0][1]["new_import"] == back["import_id"]


def test_append_and_precinct_scoped_replace(runner, session, tmp_path):
    _json(runner.invoke("import", "grids", str(write(grids(4326), tmp_path / "a.geojson")), "--json"))
    extra = grids(4326).iloc[[0]].copy()
    extra["编码"] = ["009"]
    _json(runner.invoke("import", "grids", str(write(extra, tmp_path / "b.geojson")), "--mode", "append", "--json"))
    assert sorted(load_layer(session, "grids")["code"]) == ["001", "002", "009"]


def test_gcj02_file_is_flagged_and_converted(runner, session, tmp_path):
    _json(runner.invoke("import", "grids", str(write(grids(4326), tmp_path / "truth.geojson")), "--json"))
    truth = grids(4326)
    shifted = truth.copy()
    shifted["geometry"] = shapely.transform(truth.geometry.values, lambda xy: np.column_stack(wgs84_to_gcj02(*xy.T)))
    path = write(shifted, tmp_path / "amap.geojson")
    doc = _json(runner.invoke("import", "grids", str(path), "--json"))
    assert any("--coords gcj02" in w for w in doc["warnings"])
    doc = _json(runner.invoke("import", "grids", str(path), "--coords", "gcj02", "--json"))
    assert not any("gcj02" in w for w in doc["warnings"])
    stored = load_layer(session, "grids").to_crs(32650)
    expected = truth.to_crs(32650)
    for got, want in zip(stored.geometry, expected.geometry, strict=True):
        assert got.hausdorff_distance(want) < 5


def test_points_offered_as_grids_are_refused(runner, tmp_path):
    points = gpd.GeoDataFrame({"code": ["1", "2"]}, geometry=[shapely.Point(114.8, 37.7)] * 2, crs=4326)
    result = runner.invoke("import", "grids", str(write_json(tmp_path / "p.geojson", json.loads(points.to_json()))))
    assert result.exit_code == 1 and "points" in result.stderr


def test_points_follow_a_new_grid_version(demo_runner, demo_session, tmp_path):
    grids = load_layer(demo_session, "grids")
    grids["code"] = grids["code"] + "-N"
    grids["grid_worker"] = grids["grid_worker"] + "（新）"
    path = write(grids[["code", "name", "grid_worker", "geometry"]], tmp_path / "renamed.geojson")
    _json(demo_runner.invoke("import", "grids", str(path), "--json"))
    for table in ("key_place", "hazard"):
        codes = set(demo_session.scalars(text(f"SELECT DISTINCT grid_code FROM {table}")))
        assert codes and all(c.endswith("-N") for c in codes)
    workers = set(demo_session.scalars(text("SELECT DISTINCT grid_worker FROM hazard")))
    assert workers and all(w.endswith("（新）") for w in workers)  # hazards reach the new grid workers
