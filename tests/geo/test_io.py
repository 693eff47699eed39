"""read_file / list_layers: the formats offices bring, their encodings, and the real files' traps.

Coordinate systems (Gauss-Krüger, no CRS, GCJ-02) are in test_io_crs.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Polygon

from geo.errors import (
    CRSMismatchError,
    EmptyFileError,
    FileTooLargeError,
    LayerError,
    ShiftedColumnsError,
    UnsupportedFileError,
)
from geo.io import list_layers, read_file
from tests.geo.builders import (
    CHICAGO,
    CODES,
    NAMES,
    SF,
    ZHAOXIAN,
    feature,
    grids,
    shapefile_parts,
    write,
    write_json,
    zip_files,
)

# --- real files -------------------------------------------------------------------------------------------


def test_chicago_police_districts_zip() -> None:
    path = CHICAGO / "police_districts.zip"
    result = read_file(path)
    assert len(result.frame) == 25
    assert result.crs_in == "EPSG:4326"
    assert result.frame.crs.to_epsg() == 4326
    assert list(result.frame.columns) == ["DIST_LABEL", "DIST_NUM", "_SocrataID", "geometry"]
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.file_name == "police_districts.zip"
    assert result.layer == "geo_fthy-xz3r-1"
    assert result.warnings == []


def test_chicago_beats_keep_leading_zeros() -> None:
    frame = read_file(CHICAGO / "police_beats.zip").frame
    assert len(frame) == 277
    assert frame["BEAT_NUM"].iloc[:3].tolist() == ["1713", "3100", "1651"]  # row order kept
    assert {"0111", "0112", "0211"} <= set(frame["BEAT_NUM"])
    assert "01" in set(frame["DISTRICT"])


def test_chicago_community_areas_from_illinois_state_plane_feet() -> None:
    result = read_file(CHICAGO / "community_areas.zip")
    assert result.crs_in == "EPSG:3435"
    assert len(result.frame) == 77
    x0, y0, x1, y1 = result.frame.total_bounds
    assert -87.95 < x0 < x1 < -87.52 and 41.64 < y0 < y1 < 42.03
    assert result.warnings == []  # NAD83 → WGS 84 has a real transformation: no datum warning


def test_chicago_messy_wrong_crs_is_refused_with_the_reason() -> None:
    with pytest.raises(CRSMismatchError) as caught:
        read_file(CHICAGO / "community_areas_messy.geojson")
    message = str(caught.value)
    assert "community_areas_messy.geojson" in message
    assert "EPSG:4236" in message and "Taiwan" in message
    assert "lon/lat degrees" in message and "--crs EPSG:4326" in message
    assert len(read_file(CHICAGO / "community_areas_messy.geojson", crs="EPSG:4326").frame) == 77


def test_sf_police_districts_geojson() -> None:
    result = read_file(SF / "police_districts.geojson")
    assert len(result.frame) == 10
    assert (~result.frame.is_valid).sum() == 2  # reading does not repair; validate does


def test_sf_schools_lat_lon_column_with_line_break() -> None:
    # 892 physical lines follow the header: every record's "Location 1" field is "CA\n(lat, lon)", quoted, so
    # the file holds 445 schools (pandas and Python's csv module agree).
    result = read_file(SF / "schools.csv")
    frame = result.frame
    assert len(frame) == 445
    assert frame["Location 1"].iloc[0] == "CA\n(37.783802, -122.420105)"
    assert frame.geometry.iloc[0].equals(shapely.Point(-122.420105, 37.783802))
    assert frame.geometry.notna().all()
    x0, y0, x1, y1 = frame.total_bounds
    assert -122.52 < x0 < x1 < -122.35 and 37.70 < y0 < y1 < 37.84
    assert frame["County FIPS"].iloc[0] == "06075"  # text stays text
    assert any("EPSG:4326" in w for w in result.warnings)


def test_chicago_crimes_with_more_fields_than_headers_is_refused() -> None:
    with pytest.raises(ShiftedColumnsError, match="23 fields but the header names only 22"):
        read_file(CHICAGO / "crimes_2016-05.csv")


def test_chicago_crimes_mixed_keeps_rows_without_coordinates() -> None:
    frame = read_file(CHICAGO / "crimes_mixed.csv").frame
    assert len(frame) == 1118
    assert int(frame.geometry.notna().sum()) == 235


# --- encodings ----------------------------------------------------------------------------------------------


def test_gbk_shapefile_with_cpg(tmp_path: Path) -> None:
    shp = write(grids(), tmp_path / "grids.shp", encoding="GBK")
    assert shp.with_suffix(".cpg").read_text().strip() == "GBK"
    result = read_file(shp)
    assert result.frame["名称"].tolist() == NAMES
    assert result.frame["编码"].tolist() == CODES
    assert result.encoding == "GBK"


def test_gbk_shapefile_without_cpg_is_detected(tmp_path: Path) -> None:
    shp = write(grids(), tmp_path / "grids.shp", encoding="GBK")
    shp.with_suffix(".cpg").unlink()
    result = read_file(zip_files(tmp_path / "grids.zip", {p.name: p for p in shapefile_parts(shp)}))
    assert result.frame["名称"].tolist() == NAMES
    assert list(result.frame.columns[:2]) == ["编码", "名称"]
    assert result.encoding == "GB18030"
    assert read_file(shp, encoding="GBK").frame["名称"].tolist() == NAMES
    with pytest.raises(UnsupportedFileError, match="not UTF-8"):
        read_file(shp, encoding="UTF-8")


def test_cpg_that_lies_is_overruled_with_a_warning(tmp_path: Path) -> None:
    shp = write(grids(), tmp_path / "grids.shp", encoding="GBK")
    shp.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
    result = read_file(shp)
    assert result.frame["名称"].tolist() == NAMES
    assert result.encoding == "GB18030"
    assert any("the .cpg says UTF-8" in w for w in result.warnings)


def test_utf8_shapefile_without_cpg(tmp_path: Path) -> None:
    shp = write(grids(), tmp_path / "grids.shp", encoding="UTF-8")
    shp.with_suffix(".cpg").unlink()
    result = read_file(shp)
    assert result.frame["名称"].tolist() == NAMES
    assert result.encoding == "UTF-8"


def test_latin1_shapefile_falls_back_with_a_warning(tmp_path: Path) -> None:
    frame = grids().assign(名称=["Café Noël", "Müller"]).rename(columns={"编码": "code", "名称": "name"})
    shp = write(frame, tmp_path / "latin.shp", encoding="ISO-8859-1")
    shp.with_suffix(".cpg").unlink()
    result = read_file(shp)
    assert result.frame["name"].tolist() == ["Café Noël", "Müller"]
    assert any("neither UTF-8 nor GBK" in w for w in result.warnings)


# --- formats ------------------------------------------------------------------------------------------------


def test_geopackage_with_two_layers_needs_a_choice(tmp_path: Path) -> None:
    gpkg = write(grids(), tmp_path / "city.gpkg", layer="网格")
    write(grids().iloc[:1], gpkg, layer="警务区", append=True)
    with pytest.raises(LayerError) as caught:
        read_file(gpkg)
    assert caught.value.layers == ["网格", "警务区"]
    assert "网格" in str(caught.value) and "警务区" in str(caught.value) and "--layer" in str(caught.value)
    assert list_layers(gpkg) == ["网格", "警务区"]
    result = read_file(gpkg, layer="警务区")
    assert (result.layer, len(result.frame)) == ("警务区", 1)
    with pytest.raises(LayerError, match="no layer 'grids'"):
        read_file(gpkg, layer="grids")


def test_zip_with_two_shapefiles(tmp_path: Path) -> None:
    a = write(grids(), tmp_path / "grids.shp", encoding="UTF-8")
    b = write(grids().iloc[:1], tmp_path / "districts.shp", encoding="UTF-8")
    archive = zip_files(tmp_path / "two.zip", {p.name: p for p in shapefile_parts(a) + shapefile_parts(b)})
    assert list_layers(archive) == ["districts", "grids"]
    with pytest.raises(LayerError, match="districts, grids"):
        read_file(archive)
    assert len(read_file(archive, layer="grids").frame) == 2


def test_kml_and_kmz(tmp_path: Path) -> None:
    kml = write(grids(crs=4326), tmp_path / "grids.kml", driver="KML")
    result = read_file(kml)
    assert result.frame["名称"].tolist() == NAMES
    assert result.crs_in == "EPSG:4326"
    assert not result.frame.has_z.any()
    kmz = zip_files(tmp_path / "grids.kmz", {"doc.kml": kml, "files/icon.png": b"\x89PNG"})
    assert read_file(kmz).frame["名称"].tolist() == NAMES


def test_bare_feature_and_bare_geometry_geojson(tmp_path: Path) -> None:
    one = write_json(tmp_path / "one.geojson", feature(ZHAOXIAN[0], code="007"))
    frame = read_file(one).frame
    assert frame["code"].tolist() == ["007"]
    bare = write_json(tmp_path / "bare.geojson", shapely.geometry.mapping(ZHAOXIAN[0]))
    frame = read_file(bare).frame
    assert len(frame) == 1 and frame.geometry.iloc[0].equals(ZHAOXIAN[0])


def test_z_coordinates_are_dropped(tmp_path: Path) -> None:
    tall = Polygon([(x, y, 12.5) for x, y in ZHAOXIAN[0].exterior.coords])
    path = write_json(tmp_path / "z.geojson", {"type": "FeatureCollection", "features": [feature(tall, code="001")]})
    result = read_file(path)
    assert not result.frame.has_z.any()
    assert result.frame.attrs["dropped_z"] is True
    assert any("Z coordinates" in w for w in result.warnings)


def test_csv_with_wkt_column(tmp_path: Path) -> None:
    rows = "\n".join(f'{c},{n},"{g.wkt}"' for c, n, g in zip(CODES, NAMES, ZHAOXIAN, strict=True))
    path = tmp_path / "grids.csv"
    path.write_text("code,name,WKT\n" + rows + "\n", encoding="utf-8")
    result = read_file(path, crs="EPSG:4490")
    assert list(result.frame.columns) == ["code", "name", "geometry"]
    assert result.frame["code"].tolist() == CODES
    assert result.frame.geometry.iloc[1].equals(ZHAOXIAN[1])
    srid = tmp_path / "srid.csv"
    srid.write_text(f'code,geom\n001,"SRID=4490;{ZHAOXIAN[0].wkt}"\n', encoding="utf-8")
    assert read_file(srid).crs_in == "EPSG:4490"


def test_csv_with_chinese_lon_lat_columns_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "places.csv"
    text = '编号,名称,经度,纬度\n001,"赵州桥\n（安济桥）",114.7706,37.7056\n002,柏林禅寺,114.7673,37.7416\n'
    path.write_bytes(text.encode("gbk"))
    result = read_file(path)
    assert result.encoding == "GB18030"
    assert result.frame["编号"].tolist() == ["001", "002"]
    assert result.frame["名称"].tolist() == ["赵州桥\n（安济桥）", "柏林禅寺"]
    assert result.frame.geometry.iloc[0].equals(shapely.Point(114.7706, 37.7056))


def test_csv_with_swapped_lon_lat_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "swapped.csv"
    path.write_text("id,lat,lon\n1,114.77,37.70\n", encoding="utf-8")
    with pytest.raises(CRSMismatchError, match="swapped"):
        read_file(path)


def test_csv_without_geometry_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("code,name\n001,a\n", encoding="utf-8")
    with pytest.raises(UnsupportedFileError, match="no geometry columns.*code, name"):
        read_file(path)


# --- refusals -----------------------------------------------------------------------------------------------


def test_empty_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "grids.geojson"
    empty.write_bytes(b"")
    with pytest.raises(EmptyFileError, match="empty"):
        read_file(empty)
    none = write_json(tmp_path / "none.geojson", {"type": "FeatureCollection", "features": []})
    with pytest.raises(EmptyFileError, match="no features"):
        read_file(none)


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = write(grids(), tmp_path / "grids.geojson")
    with pytest.raises(FileTooLargeError, match="upload limit"):
        read_file(path, max_bytes=100)


def test_incomplete_or_foreign_files_are_refused(tmp_path: Path) -> None:
    shp = write(grids(), tmp_path / "grids.shp", encoding="UTF-8")
    with pytest.raises(UnsupportedFileError, match="only one part of a Shapefile"):
        read_file(shp.with_suffix(".dbf"))
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(UnsupportedFileError, match=r"incomplete, \.dbf missing"):
        read_file(shp)
    xlsx = tmp_path / "grids.xlsx"
    xlsx.write_bytes(b"PK")
    with pytest.raises(UnsupportedFileError, match="save it from Excel as CSV"):
        read_file(xlsx)
    with pytest.raises(UnsupportedFileError, match="no such file"):
        read_file(tmp_path / "missing.geojson")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(UnsupportedFileError, match="broken.geojson"):
        read_file(broken)


def test_csv_trailing_empty_fields_are_harmless(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("编号,经度,纬度\n001,114.77,37.70,,\n002,114.78,37.71,,\n", encoding="utf-8")
    assert read_file(path).frame["编号"].tolist() == ["001", "002"]
