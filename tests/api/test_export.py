"""Exports read back with pyogrio: the same features, codes, Chinese names and geometry, in every format."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyogrio
import pytest
import shapely
from sqlalchemy import text

from api.layers import LAYERS
from api.services.boundaries import ImportMeta, write_version
from api.services.sources import SOURCES
from api.services.store import load_layer
from geo.export import shapefile_names

FILES = {"gpkg": "grids.gpkg", "shp": "grids.shp.zip", "kml": "grids.kml", "geojson": "grids.geojson"}


def _read(path: Path):
    return pyogrio.read_dataframe(f"zip://{path}" if path.name.endswith(".zip") else path)


def _same_geometry(a, b) -> bool:
    return shapely.hausdorff_distance(a, b) < 1e-9 and abs(a.area - b.area) <= 1e-9 * a.area


@pytest.mark.parametrize("fmt", list(FILES))
def test_each_format_reads_back_the_same_grids(demo_runner, demo_session, tmp_path, fmt):
    target = tmp_path / FILES[fmt]
    result = demo_runner.invoke("export", "grids", "--format", fmt, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "features written" in result.stderr
    stored = load_layer(demo_session, "grids").set_index("code")
    back = _read(target)
    code_col = "code"
    name_col = "Name" if fmt == "kml" else "name"  # KML keeps the name in <name>
    assert sorted(back[code_col]) == sorted(stored.index) and len(back) == len(stored)
    back = back.set_index(code_col)
    assert (back[name_col] == stored["name"].reindex(back.index)).all()
    assert back[name_col].str.contains("网格").all()
    district = "district_c" if fmt == "shp" else "district_code"  # .dbf names hold 10 bytes
    assert (back[district] == stored["district_code"].reindex(back.index)).all()
    for code, geom in back.geometry.items():
        assert _same_geometry(geom, stored.geometry[code]), code
    assert list(tmp_path.iterdir()) == [target]  # nothing left behind


def test_shapefile_zip_has_prj_cpg_and_field_map(demo_runner, tmp_path):
    target = tmp_path / "districts.zip"
    assert demo_runner.invoke("export", "districts", "-o", str(target)).exit_code == 0
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        assert {"districts.shp", "districts.shx", "districts.dbf", "districts.prj", "districts.cpg"} <= names
        assert archive.read("districts.cpg") == b"UTF-8"
        assert "GEOGCS" in archive.read("districts.prj").decode() or "GEOGCRS" in archive.read("districts.prj").decode()
        fields = archive.read("fields.csv").decode("utf-8-sig").splitlines()
    assert "precinct_c,precinct_code" in fields and fields[0] == "field,column"


def test_gbk_shapefile_keeps_chinese_names(demo_runner, demo_session, tmp_path):
    target = tmp_path / "precincts.shp.zip"
    result = demo_runner.invoke("export", "precincts", "--format", "shp", "--encoding", "GBK", "-o", str(target))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as archive:
        assert archive.read("precincts.cpg") == b"GBK"
        dbf = archive.read("precincts.dbf")
    stored = load_layer(demo_session, "precincts")
    first = stored["name"].iloc[0]
    assert first.encode("gbk") in dbf and first.encode("utf-8") not in dbf
    back = _read(target)
    assert sorted(back["name"]) == sorted(stored["name"])


def test_gbk_refuses_text_it_cannot_hold_and_keeps_the_old_file(demo_runner, demo_session, tmp_path):
    demo_session.execute(text("UPDATE precinct SET name = '𠀀派出所' WHERE code = '130133-01' AND valid_to IS NULL"))
    target = tmp_path / "p.shp.zip"
    target.write_bytes(b"old")
    result = demo_runner.invoke("export", "precincts", "--encoding", "GBK", "-o", str(target))
    assert result.exit_code == 1 and "cannot be written in GBK" in result.stderr
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_as_of_exports_the_older_version(demo_runner, demo_session, tmp_path):
    before = demo_session.scalar(text("SELECT clock_timestamp()"))
    frame = load_layer(demo_session, "precincts")
    old = frame.loc[0, "name"]
    frame.loc[0, "name"] = "新名派出所"
    write_version(demo_session, LAYERS["precincts"], frame, ImportMeta(file_name="renamed.geojson"))
    then, now = tmp_path / "then.gpkg", tmp_path / "now.gpkg"
    assert demo_runner.invoke("export", "precincts", "--as-of", before.isoformat(), "-o", str(then)).exit_code == 0
    assert demo_runner.invoke("export", "precincts", "-o", str(now)).exit_code == 0
    code = frame.loc[0, "code"]
    assert _read(then).set_index("code").loc[code, "name"] == old
    assert _read(now).set_index("code").loc[code, "name"] == "新名派出所"


def test_http_download_of_points_and_boundaries(demo_client, demo_session, tmp_path):
    response = demo_client.get("/api/export/key-places.geojson")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert 'filename="key-places.geojson"' in response.headers["Content-Disposition"]
    path = tmp_path / "kp.geojson"
    path.write_bytes(response.data)
    assert len(_read(path)) == demo_session.scalar(text("SELECT count(*) FROM key_place"))

    response = demo_client.get("/api/export/incidents.gpkg")
    path = tmp_path / "inc.gpkg"
    path.write_bytes(response.data)
    assert len(_read(path)) == demo_session.scalar(text("SELECT count(*) FROM incident WHERE geom IS NOT NULL"))

    response = demo_client.get("/api/export/grids.shp.zip?precinct=130133-02&encoding=GBK")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.read("grids.cpg") == b"GBK"
    path = tmp_path / "g.zip"
    path.write_bytes(response.data)
    assert set(_read(path)["precinct_c"]) == {"130133-02"}
    assert demo_client.get("/api/export/grids.kml?encoding=GBK").status_code == 422  # KML is always UTF-8
    assert demo_client.get("/api/export/patrols.gpkg").status_code == 404  # fixes are no map layer to export


def test_shapefile_field_names_are_cut_predictably():
    names = shapefile_names(["code", "district_code", "district_count", "所属派出所名称", "households"])
    assert names == {"code": "code", "district_code": "district_c", "district_count": "district_1",
                     "所属派出所名称": "所属派", "households": "households"}  # fmt: skip
    assert shapefile_names(["所属派出所名称"], "GBK") == {"所属派出所名称": "所属派出所"}


def test_reports_page_offers_every_format(demo_client):
    page = demo_client.get("/reports?lang=en")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for href in ("/api/export/grids.gpkg", "/api/export/grids.shp.zip", "/api/export/grids.kml"):
        assert href in body
    assert "/api/export/precincts.shp.zip?encoding=GBK" in body and "/ogc" in body


LAYERS_ALL = list(SOURCES)  # every collection: the six layers and the three alignment findings


@pytest.mark.parametrize("layer", LAYERS_ALL)
def test_every_layer_in_every_format_holds_what_the_ogc_api_serves(demo_client, tmp_path, layer):
    served = demo_client.get(f"/ogc/collections/{layer}/items?limit=10000").get_json()
    expected = sorted(str(f["properties"].get("code")) for f in served["features"])
    assert served["numberMatched"] == len(expected)
    for ext in ("gpkg", "shp.zip", "kml", "geojson"):
        response = demo_client.get(f"/api/export/{layer}.{ext}")
        assert response.status_code == 200, (ext, response.get_data(as_text=True)[:300])
        path = tmp_path / f"{layer}.{ext}"
        path.write_bytes(response.data)
        back = _read(path) if expected else None
        if back is None:
            continue  # an empty finding layer: nothing to compare
        assert len(back) == len(expected), ext
        if "code" in back.columns:
            assert sorted(str(v) if v is not None else "None" for v in back["code"]) == expected, ext
        assert back.geometry.notna().all() and back.crs.to_epsg() == 4326, ext


def test_findings_export_matches_the_alignment(demo_runner, demo_client, tmp_path):
    doc = demo_client.get("/api/alignment").get_json()
    target = tmp_path / "gaps.gpkg"
    result = demo_runner.invoke("export", "gaps", "-o", str(target))
    assert result.exit_code == 0, result.output
    back = _read(target)
    assert len(back) == len(doc["gaps"]) > 0
    assert sorted(back["area_m2"]) == pytest.approx(sorted(g["area_m2"] for g in doc["gaps"]))
    split = tmp_path / "split.geojson"
    assert demo_runner.invoke("export", "split-grids", "-o", str(split)).exit_code == 0
    codes = sorted(g["code"] for g in doc["grids"] if g["status"] == "split")
    assert sorted(_read(split)["code"]) == codes and codes
    assert demo_client.get("/api/export/gaps.gpkg?as_of=1990-01-01").status_code == 200  # nothing then: empty


def test_hazards_as_of_carry_the_state_of_then(demo_runner, demo_session, tmp_path):
    code, first_at, second_at, first_state = demo_session.execute(
        text(
            "SELECT h.code, e1.at, e2.at, e1.to_state FROM hazard h"
            " JOIN hazard_event e1 ON e1.hazard_id = h.id AND e1.seq = 1"
            " JOIN hazard_event e2 ON e2.hazard_id = h.id AND e2.seq = 2"
            " WHERE e2.at > e1.at AND h.state <> e1.to_state ORDER BY h.code LIMIT 1"
        )
    ).one()
    then = first_at + (second_at - first_at) / 2
    target = tmp_path / "hazards.gpkg"
    assert demo_runner.invoke("export", "hazards", "--as-of", then.isoformat(), "-o", str(target)).exit_code == 0
    back = _read(target).set_index("code")
    assert back.loc[code, "state"] == first_state
    reported = "SELECT count(*) FROM hazard WHERE reported_at <= :t AND geom IS NOT NULL"
    assert len(back) == demo_session.scalar(text(reported), {"t": then})
    now = tmp_path / "now.gpkg"
    assert demo_runner.invoke("export", "hazards", "-o", str(now)).exit_code == 0
    current = demo_session.scalar(text("SELECT state FROM hazard WHERE code = :c"), {"c": code})
    assert _read(now).set_index("code").loc[code, "state"] == current != first_state


def test_empty_exports_still_open(demo_runner, tmp_path):
    for fmt, name in FILES.items():
        target = tmp_path / name.replace("grids", "hazards")
        result = demo_runner.invoke("export", "hazards", "--format", fmt, "--as-of", "1990-01-01", "-o", str(target))
        assert result.exit_code == 0, (fmt, result.output)
        assert len(_read(target)) == 0, fmt


def test_geopackage_is_version_1_2(demo_runner, tmp_path):
    """GeoPackage 1.2 opens without a warning in the GDAL of older desktop GIS (QGIS 3.22 on Debian 12 among them)."""
    import sqlite3

    target = tmp_path / "grids.gpkg"
    assert demo_runner.invoke("export", "grids", "-o", str(target)).exit_code == 0
    with sqlite3.connect(target) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
