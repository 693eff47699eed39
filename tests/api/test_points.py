"""Key places and incidents: imports (CSV, XLSX, GeoJSON), routing to grids, GeoJSON endpoints, per-grid counts,
re-routing after a boundary change, and the real Chicago crimes against the real beats."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import Workbook
from shapely.geometry import box
from sqlalchemy import text

from api.services.points import relocate_all
from geo.errors import GeoError
from tests.api.ops import REAL, load, small_city, with_ops, write_layer

CHICAGO = REAL / "chicago"

PLACES_CSV = """编号,名称,类别,风险等级,地址,经度,纬度
KP1,赵州镇中心小学,学校,高,石塔路1号,114.765,37.745
KP2,星辰网咖,网咖,2,,114.775,37.745
KP3,老街KTV,娱乐场所(KTV),一般,,114.765,37.755
KP4,某某公司,物流园,,,114.775,37.755
KP5,无坐标旅馆,旅馆,1,,,
"""


def _write(tmp_path, name: str, body: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(body, encoding=encoding)
    return path


def test_key_places_from_a_chinese_csv_are_categorised_and_routed(session, tmp_path):
    small_city(session)
    doc = load(session, "key-places", _write(tmp_path, "重点场所.csv", PLACES_CSV, "gbk"))
    assert doc["layer"] == "key-places"
    assert doc["counts"]["rows"] == 5 and doc["counts"]["features"] == 4
    assert doc["counts"]["without_coordinates"] == 1
    assert doc["fields"] == {"lon": "经度", "lat": "纬度", "code": "编号", "name": "名称", "category": "类别",
                             "risk_level": "风险等级", "address": "地址"}  # fmt: skip
    assert any("rows 5 have no position" in w for w in doc["warnings"])
    assert any("物流园" in w for w in doc["warnings"])  # an unknown category is named
    rows = session.execute(
        text("SELECT code, category, risk_level, grid_code, district_code, precinct_code, attributes"
             " FROM key_place ORDER BY code")
    ).all()  # fmt: skip
    assert [(r.code, r.category, r.risk_level, r.grid_code) for r in rows] == [
        ("KP1", "school", 3, "G01"),
        ("KP2", "internet_cafe", 2, "G02"),
        ("KP3", "bar_ktv", 1, "G03"),
        ("KP4", "other", None, "G04"),
    ]
    assert rows[0].district_code == "D1" and rows[0].precinct_code == "P1"
    assert rows[3].attributes == {"category_source": "物流园"}
    record = session.execute(
        text(
            "SELECT layer, file_name, sha256, counts, warnings, created_by, encoding FROM boundary_import WHERE id = :i"
        ),
        {"i": doc["import_id"]},
    ).one()
    assert (record.layer, record.file_name, record.created_by) == ("key-places", "重点场所.csv", "test")
    assert len(record.sha256) == 64 and record.counts["features"] == 4 and record.encoding == "GB18030"
    assert record.warnings == doc["warnings"]


def test_same_file_again_replaces_and_codes_are_upserted(session, tmp_path):
    small_city(session)
    path = _write(tmp_path, "places.csv", PLACES_CSV)
    load(session, "key-places", path)
    load(session, "key-places", path)
    assert session.scalar(text("SELECT count(*) FROM key_place")) == 4
    other = _write(
        tmp_path,
        "more.csv",
        "code,name,category,lon,lat\nKP1,新名字,school,114.776,37.756\nKP9,银行,bank,114.77,37.741\n",
    )
    doc = load(session, "key-places", other, mode="append")
    assert doc["counts"]["updated"] == 1
    assert session.scalar(text("SELECT count(*) FROM key_place")) == 5
    moved = session.execute(text("SELECT name, grid_code FROM key_place WHERE code = 'KP1'")).one()
    assert tuple(moved) == ("新名字", "G04")


def test_key_places_from_xlsx_and_geojson(session, tmp_path):
    small_city(session)
    book = Workbook()
    sheet = book.active
    sheet.append(["场所名称", "场所类别", "lng", "lat"])
    sheet.append(["加油站一", "加油站", 114.761, 37.741])
    sheet.append(["医院一", "卫生院", 114.771, 37.741])
    book.save(tmp_path / "places.xlsx")
    doc = load(session, "key-places", tmp_path / "places.xlsx")
    assert doc["counts"]["features"] == 2
    frame = gpd.GeoDataFrame({"name": ["工地一"], "type": ["建筑工地"], "level": ["三级"]},
                             geometry=[box(114.761, 37.751, 114.762, 37.752)], crs=4326)  # fmt: skip
    frame.to_file(tmp_path / "sites.geojson", driver="GeoJSON")
    doc = load(session, "key-places", tmp_path / "sites.geojson")
    assert any("not points" in w for w in doc["warnings"])
    got = dict(session.execute(text("SELECT name, category || ':' || grid_code FROM key_place")).all())
    assert got == {"加油站一": "petrol_station:G01", "医院一": "hospital:G02", "工地一": "construction_site:G03"}
    assert session.scalar(text("SELECT risk_level FROM key_place WHERE name = '工地一'")) == 3


def test_a_bad_file_stores_nothing(session, tmp_path):
    small_city(session)
    before = session.scalar(text("SELECT count(*) FROM boundary_import"))
    with pytest.raises(GeoError, match="no name column"):
        load(session, "key-places", _write(tmp_path, "x.csv", "foo,lon,lat\n1,114.77,37.75\n"))
    with pytest.raises(GeoError, match="no row has a usable position"):
        load(session, "key-places", _write(tmp_path, "y.csv", "name,lon,lat\na,,\n"))
    assert session.scalar(text("SELECT count(*) FROM boundary_import")) == before
    assert session.scalar(text("SELECT count(*) FROM key_place")) == 0


def test_relocate_all_follows_new_grids(session, tmp_path):
    small_city(session)
    load(session, "key-places", _write(tmp_path, "places.csv", PLACES_CSV))
    # the grids are redrawn: one grid covers the whole west half now
    halves = [box(114.76, 37.74, 114.77, 37.76), box(114.77, 37.74, 114.78, 37.76)]
    frame = gpd.GeoDataFrame(
        {"code": ["W", "E"], "name": ["西", "东"], "grid_worker": ["甲", "乙"]}, geometry=halves, crs=4326
    )
    write_layer(session, "grids", frame)
    counts = relocate_all(session)
    assert counts["key_place"] == 4
    got = dict(session.execute(text("SELECT code, grid_code FROM key_place")).all())
    assert got == {"KP1": "W", "KP2": "E", "KP3": "W", "KP4": "E"}


def test_key_places_endpoint_and_grid_stats(app, session, tmp_path):
    small_city(session)
    load(session, "key-places", _write(tmp_path, "places.csv", PLACES_CSV))
    client = with_ops(app).test_client()
    doc = client.get("/api/key-places?precinct=P1").get_json()
    assert doc["type"] == "FeatureCollection" and doc["numberReturned"] == 4
    first = doc["features"][0]
    assert first["id"] == "KP1" and first["properties"]["category_zh"] == "学校"
    assert first["geometry"] == {"type": "Point", "coordinates": [114.765, 37.745]}
    boxed = client.get("/api/key-places?bbox=114.76,37.74,114.77,37.75").get_json()
    assert [f["id"] for f in boxed["features"]] == ["KP1"]
    assert client.get("/api/key-places?bbox=1,2").status_code == 400
    stats = {g["code"]: g for g in client.get("/api/grid-stats?precinct=P1").get_json()["grids"]}
    assert stats["G01"]["key_places"] == 1 and stats["G01"]["key_places_by_category"] == {"school": 1}
    cats = client.get("/api/key-places/categories").get_json()["categories"]
    assert [c["code"] for c in cats][:3] == ["school", "hospital", "hotel"] and cats[0]["zh"] == "学校"


def _chicago_beats(session) -> None:
    beats = gpd.read_file(CHICAGO / "police_beats.zip").dissolve("BEAT_NUM").reset_index()
    frame = gpd.GeoDataFrame({"code": beats["BEAT_NUM"], "name": beats["BEAT_NUM"]}, geometry=beats.geometry, crs=4326)
    write_layer(session, "grids", frame, "police_beats.zip")
    session.commit()


def _beat_agreement(session, import_id: int, path) -> tuple[int, int]:
    official = pd.read_csv(path, dtype=str, keep_default_na=False)
    got = session.execute(
        text("SELECT attributes ->> 'ID' AS id, grid_code FROM incident WHERE import_id = :i AND geom IS NOT NULL"),
        {"i": import_id},
    ).all()
    beat = dict(zip(official["ID"], official["Beat"], strict=True))
    same = sum(g is not None and int(g) == int(beat[i]) for i, g in got)
    return same, len(got)


def test_chicago_crimes_land_in_their_official_beats(app, session):
    _chicago_beats(session)
    doc = load(session, "incidents", CHICAGO / "crimes_2016-05.csv", timezone="America/Chicago")
    assert doc["counts"]["rows"] == 129 and doc["counts"]["located"] == 129
    assert doc["fields"]["occurred_at"] == "Date" and doc["fields"]["type"] == "Primary Type"
    assert doc["fields"]["code"] == "Case Number" and doc["fields"]["lon"] == "Longitude"
    same, located = _beat_agreement(session, doc["import_id"], CHICAGO / "crimes_2016-05.csv")
    assert located == 129 and same / located >= 0.90, (same, located)
    first = session.execute(text("SELECT occurred_at, type FROM incident WHERE code = 'HZ250496'")).one()
    assert first.occurred_at.isoformat() == "2016-05-04T04:40:00+00:00"  # 5/3/16 23:40 CDT
    assert first.type == "BATTERY"
    client = with_ops(app).test_client()
    window = client.get("/api/incidents?from=2016-05-03T00:00-05:00&to=2016-05-04T00:00-05:00").get_json()
    assert 0 < window["numberReturned"] < 129
    assert all("2016-05-03" in f["properties"]["occurred_at"] or "2016-05-04T0" in f["properties"]["occurred_at"]
               for f in window["features"])  # fmt: skip
    counts = client.get("/api/grid-stats?from=2016-05-01T00:00-05:00&to=2016-06-01T00:00-05:00").get_json()
    assert sum(g["incidents"] for g in counts["grids"]) == sum(
        1 for _ in session.execute(text("SELECT 1 FROM incident WHERE grid_code IS NOT NULL"))
    )


def test_chicago_mixed_dates_and_rows_without_coordinates(session):
    _chicago_beats(session)
    doc = load(session, "incidents", CHICAGO / "crimes_mixed.csv", timezone="America/Chicago")
    counts = doc["counts"]
    assert counts["rows"] == 1118 and counts["features"] == 1118
    assert counts["located"] == 235 and counts["without_coordinates"] == 883
    assert counts["without_time"] == 0  # every one of the mixed date formats is read
    assert any("have no coordinates: kept, not on the map" in w for w in doc["warnings"])
    same, located = _beat_agreement(session, doc["import_id"], CHICAGO / "crimes_mixed.csv")
    assert located == 235 and same / located >= 0.90, (same, located)
    stored = session.execute(
        text("SELECT count(*) FILTER (WHERE geom IS NULL), count(*) FILTER (WHERE occurred_at IS NULL) FROM incident")
    ).one()
    assert tuple(stored) == (883, 0)
    pm = session.scalar(text("SELECT occurred_at FROM incident WHERE code = 'JB373031'"))
    assert pm.isoformat() == "2018-07-31T18:30:00+00:00"  # 07/31/2018 01:30:00 PM CDT
    assert json.dumps(doc, default=str)  # the document serialises


def test_modes_never_drop_rows_because_of_a_file_name(session, tmp_path):
    small_city(session)
    first = tmp_path / "a" / "places.csv"
    first.parent.mkdir()
    first.write_text(
        "name,category,lon,lat\n小学一,学校,114.765,37.745\n网吧一,网吧,114.775,37.745\n", encoding="utf-8"
    )
    load(session, "key-places", first)
    load(session, "key-places", first)  # no codes: the made-up ones make the second load an update
    assert session.scalar(text("SELECT count(*) FROM key_place")) == 2
    other = tmp_path / "b" / "places.csv"  # another office's list under the same name
    other.parent.mkdir()
    other.write_text("name,category,lon,lat\n银行一,银行,114.765,37.755\n", encoding="utf-8")
    load(session, "key-places", other)
    assert session.scalar(text("SELECT count(*) FROM key_place")) == 3
    doc = load(session, "key-places", other, precinct="P1")  # the full list of P1: the others go
    assert doc["counts"]["removed"] == 2
    assert list(session.scalars(text("SELECT name FROM key_place"))) == ["银行一"]

    crimes = tmp_path / "crimes.csv"
    crimes.write_text("code,time,type,lon,lat\nC1,2026-11-01 08:00,theft,114.765,37.745\n", encoding="utf-8")
    load(session, "incidents", crimes)
    crimes.write_text("code,time,type,lon,lat\nC1,2026-11-01 08:00,fraud,114.765,37.745\n", encoding="utf-8")
    again = load(session, "incidents", crimes, mode="append")
    assert again["counts"]["skipped_existing"] == 1
    replaced = load(session, "incidents", crimes)
    assert replaced["counts"]["replaced"] == 1
    assert list(session.scalars(text("SELECT type FROM incident"))) == ["fraud"]
