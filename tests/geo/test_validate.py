"""pick_fields / prepare_polygons / prepare_points on real files and on hand-built frames."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import GeometryCollection, LineString, MultiPoint, Point, Polygon, box

from geo.errors import FieldError, InvalidFeaturesError, ShiftedColumnsError
from geo.io import read_file
from geo.validate import code_strings, pick_fields, prepare_points, prepare_polygons
from tests.geo.builders import CHICAGO, SF, ZHAOXIAN, bowtie

US_SQ_FT = (1200 / 3937) ** 2  # m² per US survey square foot (EPSG:3435 is in US feet)


def _frame(geoms: list, **columns: list) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(dict(columns), geometry=geoms, crs=4326)
    frame.attrs["source"] = "test.geojson"
    return frame


def _prepare(path, kind: str, **kwargs):
    frame = read_file(path, **kwargs).frame
    return prepare_polygons(frame, pick_fields(frame, kind))


# --- real files -------------------------------------------------------------------------------------------


def test_chicago_police_districts_dissolve_to_23() -> None:
    prepared = _prepare(CHICAGO / "police_districts.zip", "districts")
    frame, report = prepared.frame, prepared.report
    assert (report["rows_in"], report["features"], len(frame)) == (25, 23, 23)
    assert report["dissolved"] == [{"code": "31", "rows": [3, 4, 8]}]
    assert report["fields"]["code"] == "DIST_NUM" and report["fields"]["name"] == "DIST_LABEL"
    assert frame["code"].tolist() == sorted(frame["code"])
    assert frame["code"].is_unique and set(frame.geom_type) == {"MultiPolygon"}
    assert frame.loc[frame["code"] == "31", "geometry"].iloc[0].geoms.__len__() == 3
    assert frame.is_valid.all() and frame.crs.to_epsg() == 4326
    assert list(frame.columns) == ["code", "name", "_SocrataID", "geometry"]


def test_chicago_beats_keep_leading_zeros_and_parent() -> None:
    prepared = _prepare(CHICAGO / "police_beats.zip", "districts")
    frame, report = prepared.frame, prepared.report
    assert (report["rows_in"], report["features"]) == (277, 275)
    assert report["dissolved"] == [{"code": "3100", "rows": [2, 56, 264]}]
    assert frame["code"].iloc[:3].tolist() == ["0111", "0112", "0113"]
    assert report["fields"]["parent"] == "DISTRICT"
    assert frame.loc[frame["code"] == "0111", "parent"].item() == "01"


def test_chicago_community_areas_area_matches_shape_area() -> None:
    prepared = _prepare(CHICAGO / "community_areas.zip", "grids")
    frame = prepared.frame
    assert len(frame) == 77 and sorted(frame["code"], key=int) == [str(i) for i in range(1, 78)]
    assert frame.loc[frame["code"] == "35", "name"].item() == "DOUGLAS"
    expected = frame["SHAPE_AREA"].sum() * US_SQ_FT
    geod = Geod(ellps="WGS84")
    ellipsoid = sum(abs(geod.geometry_area_perimeter(g)[0]) for g in frame.geometry)
    utm = frame.to_crs(frame.estimate_utm_crs()).area.sum()
    assert abs(ellipsoid / expected - 1) < 0.005
    assert abs(utm / expected - 1) < 0.005
    assert abs(ellipsoid - 598.1e6) < 0.5e6


def test_chicago_messy_columns_are_refused_as_shifted() -> None:
    frame = read_file(CHICAGO / "community_areas_messy.geojson", crs="EPSG:4326").frame
    with pytest.raises(ShiftedColumnsError) as caught:
        pick_fields(frame, "grids")
    message = str(caught.value)
    assert message.startswith("community_areas_messy.geojson:")
    assert "AREA_NUMBE holds names (DOUGLAS" in message and "COMMUNITY holds numbers (35" in message
    fields = pick_fields(frame, "grids", code_field="COMMUNITY", name_field="AREA_NUMBE")
    assert prepare_polygons(frame, fields).frame.set_index("code").loc["35", "name"] == "DOUGLAS"


def test_sf_police_districts_two_invalid_polygons_repaired() -> None:
    prepared = _prepare(SF / "police_districts.geojson", "districts")
    report = prepared.report
    assert report["repaired"]["count"] == 2
    assert report["repaired"]["kinds"] == {"Ring Self-intersection": 2}
    assert [r["code"] for r in report["repaired"]["rows"]] == ["Richmond", "Northern"]
    assert report["fields"]["code"] == "DISTRICT" and len(prepared.frame) == 10
    assert prepared.frame.is_valid.all()


def test_chicago_neighborhoods_four_invalid_repaired_with_a_given_code_field() -> None:
    frame = read_file(CHICAGO / "neighborhoods.geojson").frame
    with pytest.raises(FieldError, match="--code-field"):
        pick_fields(frame, "grids")
    prepared = prepare_polygons(frame, pick_fields(frame, "grids", code_field="name"))
    assert prepared.report["repaired"]["count"] == 4 and prepared.frame.is_valid.all()
    assert prepared.report["fields"]["reasons"][0] == "code: name (given)"


def test_real_point_layers() -> None:
    schools = read_file(SF / "schools.csv").frame
    prepared = prepare_points(schools, pick_fields(schools, "points"))
    assert prepared.report["features"] == 445 and prepared.report["fields"]["name"] == "Campus Name"
    crimes = read_file(CHICAGO / "crimes_mixed.csv").frame
    prepared = prepare_points(crimes, pick_fields(crimes, "points"))
    assert (prepared.report["rows_in"], prepared.report["features"]) == (1118, 235)
    assert prepared.report["no_geometry"]["count"] == 883
    assert prepared.report["no_geometry"]["rows"][:3] == [1, 2, 3]
    assert set(prepared.frame.geom_type) == {"Point"}


# --- fields and codes ---------------------------------------------------------------------------------------


def test_code_strings_keep_text_and_integralise_numbers() -> None:
    assert code_strings(pd.Series(["007", " 0111 ", "", None])).tolist() == ["007", "0111", None, None]
    assert code_strings(pd.Series([1, 20], dtype="int64")).tolist() == ["1", "20"]
    assert code_strings(pd.Series([1.0, 2.5, np.nan])).tolist() == ["1", "2.5", None]
    assert code_strings(pd.Series([pd.NA, 3], dtype="Int64")).tolist() == [None, "3"]


def test_chinese_field_names_are_recognised() -> None:
    frame = _frame(ZHAOXIAN, 网格编码=["001", "002"], 网格名称=["一", "二"], 所属警务区编码=["01", "01"])
    fields = pick_fields(frame, "grids")
    assert (fields.code, fields.name, fields.parent) == ("网格编码", "网格名称", "所属警务区编码")
    frame = _frame(ZHAOXIAN, BM=["1", "2"], MC=["一", "二"])
    assert (pick_fields(frame, "precincts").code, pick_fields(frame, "precincts").name) == ("BM", "MC")


def test_given_fields_must_exist() -> None:
    frame = _frame(ZHAOXIAN, BM=["1", "2"], MC=["一", "二"])
    assert pick_fields(frame, "grids", code_field="bm").code == "BM"
    with pytest.raises(FieldError, match="no column 'WGBM' for the code; its columns are: BM, MC"):
        pick_fields(frame, "grids", code_field="WGBM")
    with pytest.raises(FieldError, match="unknown layer kind"):
        pick_fields(frame, "beats")


# --- refusals -----------------------------------------------------------------------------------------------


def test_point_layer_offered_as_grids_is_refused() -> None:
    frame = _frame([Point(114.77, 37.75), Point(114.78, 37.75)], code=["1", "2"])
    with pytest.raises(InvalidFeaturesError, match="holds points, not areas") as caught:
        prepare_polygons(frame, pick_fields(frame, "grids"))
    assert caught.value.problems == [
        {"row": 1, "code": "1", "problem": "a point, not an area"},
        {"row": 2, "code": "2", "problem": "a point, not an area"},
    ]


def test_missing_codes_empty_geometries_and_lines_are_listed() -> None:
    geoms = [ZHAOXIAN[0], ZHAOXIAN[1], None, LineString([(114.7, 37.7), (114.8, 37.8)]), Polygon()]
    frame = _frame(geoms, code=["001", None, "003", "004", "005"])
    with pytest.raises(InvalidFeaturesError) as caught:
        prepare_polygons(frame, pick_fields(frame, "grids"))
    assert [(p["row"], p["code"], p["problem"]) for p in caught.value.problems] == [
        (2, None, "no code"),
        (3, "003", "empty geometry"),
        (4, "004", "a line, not an area (close it into a polygon)"),
        (5, "005", "empty geometry"),
    ]
    message = str(caught.value)
    assert message.startswith("test.geojson: 4 of 5 features cannot be imported as grids:")
    assert "row 2 (code -): no code" in message and "upload again" in message


def test_at_most_twenty_problems_are_listed_in_the_message() -> None:
    frame = _frame([ZHAOXIAN[0]] * 25, code=[None] * 25)
    with pytest.raises(InvalidFeaturesError) as caught:
        prepare_polygons(frame, pick_fields(frame, "grids"))
    assert len(caught.value.problems) == 25
    assert "row 20 (" in str(caught.value) and "row 21 (" not in str(caught.value)
    assert "… and 5 more" in str(caught.value)


def test_rows_sharing_a_code_must_agree_on_the_parent() -> None:
    frame = _frame(ZHAOXIAN, code=["001", "001"], parent=["01", "02"], name=["一", "一"])
    with pytest.raises(InvalidFeaturesError, match="disagree on the parent code"):
        prepare_polygons(frame, pick_fields(frame, "grids"))
    frame = _frame(ZHAOXIAN, code=["001", "001"], name=["一", "二"])
    prepared = prepare_polygons(frame, pick_fields(frame, "grids"))
    assert prepared.report["dissolved"] == [{"code": "001", "rows": [1, 2]}]
    assert prepared.frame.geometry.iloc[0].equals(shapely.MultiPolygon([box(114.76, 37.74, 114.80, 37.76)]))
    assert "have names ['一', '二']; the first was kept" in prepared.report["warnings"][0]


# --- repairs ------------------------------------------------------------------------------------------------


def test_invalid_polygon_repaired_holes_kept_z_dropped() -> None:
    holed = box(114.70, 37.70, 114.74, 37.74).difference(box(114.71, 37.71, 114.72, 37.72))
    tall = shapely.force_3d(ZHAOXIAN[1], 50.0)
    collection = GeometryCollection([box(114.8, 37.8, 114.81, 37.81), LineString([(0, 0), (1, 1)])])
    frame = _frame([bowtie(), holed, tall, collection], code=["a", "b", "c", "d"], 名称=list("甲乙丙丁"))
    prepared = prepare_polygons(frame, pick_fields(frame, "grids"))
    report, out = prepared.report, prepared.frame.set_index("code")
    assert report["repaired"]["count"] == 1 and report["repaired"]["kinds"] == {"Self-intersection": 1}
    assert out.loc["a", "geometry"].is_valid and len(out.loc["a", "geometry"].geoms) == 2
    assert len(out.loc["b", "geometry"].geoms[0].interiors) == 1
    assert report["dropped_z"] is True and not prepared.frame.has_z.any()
    assert out.loc["d", "geometry"].equals(shapely.MultiPolygon([box(114.8, 37.8, 114.81, 37.81)]))


def test_clashing_attribute_names_are_renamed() -> None:
    frame = _frame(ZHAOXIAN, BM=["1", "2"], code=["x", "y"], name=["n1", "n2"])
    prepared = prepare_polygons(frame, pick_fields(frame, "grids", code_field="BM"))
    assert list(prepared.frame.columns) == ["code", "name", "code_1", "geometry"]
    assert prepared.report["renamed"] == {"code": "code_1"}


# --- points -------------------------------------------------------------------------------------------------


def test_points_keep_order_and_refuse_areas_and_duplicate_codes() -> None:
    frame = _frame([Point(114.77, 37.75), None, MultiPoint([(114.7, 37.7)])], id=["9", "8", None], 名称=list("abc"))
    prepared = prepare_points(frame, pick_fields(frame, "points"))
    assert prepared.frame["code"].tolist() == ["9", None] and prepared.frame["name"].tolist() == ["a", "c"]
    assert prepared.report["no_geometry"] == {"count": 1, "rows": [2]}
    assert prepared.report["missing_codes"] == {"count": 1, "rows": [3]}
    assert set(prepared.frame.geom_type) == {"Point"}
    areas = _frame(ZHAOXIAN, id=["1", "2"])
    with pytest.raises(InvalidFeaturesError, match="holds areas or lines, not points"):
        prepare_points(areas, pick_fields(areas, "points"))
    twice = _frame([Point(114.7, 37.7), Point(114.8, 37.8)], id=["1", "1"])
    with pytest.raises(InvalidFeaturesError, match=r"code 1 is used by rows \[1, 2\]"):
        prepare_points(twice, pick_fields(twice, "points"))
