"""Coordinate systems on import: CGCS2000 Gauss-Krüger, files without a CRS, wrong CRSs, GCJ-02 and BD-09."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from geo.errors import CRSMismatchError, GeoError, NoCRSError
from geo.io import read_file
from tests.geo.builders import (
    ZHAOXIAN,
    feature,
    grids,
    max_distance_m,
    project,
    without_prj,
    write,
    write_json,
)

# Two grids in Tianjin (117.2°E): CGCS2000 3° Gauss-Krüger zone 39, central meridian 117°E.
TIANJIN = [box(117.15, 39.08, 117.17, 39.10), box(117.17, 39.08, 117.19, 39.10)]


def _shifted(geoms: list, func) -> list:
    def _xy(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(func(coords[:, 0], coords[:, 1]))

    return list(shapely.transform(np.asarray(geoms, dtype=object), _xy))


def test_cgcs2000_3_degree_gauss_kruger_lands_within_a_metre(tmp_path: Path) -> None:
    metres = project(TIANJIN, "EPSG:4490", "EPSG:4527")
    x = shapely.get_coordinates(np.asarray(metres, dtype=object))[:, 0]
    assert (x // 1_000_000 == 39).all()  # x carries the zone prefix
    shp = write(grids(crs="EPSG:4527", geoms=metres), tmp_path / "tianjin.shp", encoding="UTF-8")
    result = read_file(shp)
    assert result.crs_in == "EPSG:4527"
    assert result.warnings == []
    assert max_distance_m(list(result.frame.geometry), TIANJIN) < 1.0


def test_gauss_kruger_without_prj_names_the_zone(tmp_path: Path) -> None:
    metres = project(TIANJIN, "EPSG:4490", "EPSG:4527")
    shp = without_prj(write(grids(crs="EPSG:4527", geoms=metres), tmp_path / "tj.shp", encoding="UTF-8"))
    with pytest.raises(NoCRSError) as caught:
        read_file(shp)
    message = str(caught.value)
    assert "tj.shp has no coordinate system" in message and "no .prj" in message
    assert "x ≈ 39,500,000" in message and "3° Gauss-Krüger zone with zone prefix" in message
    assert "--crs EPSG:4527" in message
    result = read_file(shp, crs="EPSG:4527")  # the suggestion works
    assert max_distance_m(list(result.frame.geometry), TIANJIN) < 1.0


def test_six_degree_zone_and_no_prefix_suggestions(tmp_path: Path) -> None:
    six = project(ZHAOXIAN, "EPSG:4490", "EPSG:4498")  # 6° zone 20 (CM 117°E) with prefix
    shp = without_prj(write(grids(crs="EPSG:4498", geoms=six), tmp_path / "six.shp", encoding="UTF-8"))
    with pytest.raises(NoCRSError, match=r"6° Gauss-Krüger zone with zone prefix \(zone 20\).*EPSG:4498"):
        read_file(shp)
    plain = project(ZHAOXIAN, "EPSG:4490", "EPSG:4547")  # 3° CM 114°E, no prefix
    shp = without_prj(write(grids(crs="EPSG:4547", geoms=plain), tmp_path / "cm.shp", encoding="UTF-8"))
    with pytest.raises(NoCRSError, match="without a zone prefix"):
        read_file(shp)


def test_lon_lat_without_crs_suggests_cgcs2000_or_wgs84(tmp_path: Path) -> None:
    shp = without_prj(write(grids(), tmp_path / "lonlat.shp", encoding="UTF-8"))
    with pytest.raises(NoCRSError) as caught:
        read_file(shp)
    message = str(caught.value)
    assert "lon/lat degrees" in message
    assert "EPSG:4490" in message and "EPSG:4326" in message and "--coords gcj02" in message
    assert read_file(shp, crs="EPSG:4490").crs_in == "EPSG:4490"


def test_declared_geographic_crs_on_projected_values_is_refused(tmp_path: Path) -> None:
    metres = project(TIANJIN, "EPSG:4490", "EPSG:4527")
    shp = without_prj(write(grids(crs="EPSG:4527", geoms=metres), tmp_path / "tj.shp", encoding="UTF-8"))
    with pytest.raises(CRSMismatchError, match="--crs EPSG:4490.*not degrees.*EPSG:4527"):
        read_file(shp, crs="EPSG:4490")


def test_declared_projected_crs_on_degrees_is_refused(tmp_path: Path) -> None:
    shp = write(grids(crs="EPSG:4527"), tmp_path / "labelled.shp", encoding="UTF-8")  # degrees labelled GK
    with pytest.raises(CRSMismatchError, match="EPSG:4527.*projected.*lon/lat degrees"):
        read_file(shp)


def test_wrong_gauss_kruger_zone_is_refused_and_the_right_one_named(tmp_path: Path) -> None:
    zone38 = project(ZHAOXIAN, "EPSG:4490", "EPSG:4526")
    shp = write(grids(crs="EPSG:4527", geoms=zone38), tmp_path / "zone.shp", encoding="UTF-8")
    with pytest.raises(CRSMismatchError) as caught:
        read_file(shp)
    message = str(caught.value)
    assert "EPSG:4527" in message and "area of use" in message and "far outside" in message
    assert "--crs EPSG:4526" in message
    result = read_file(shp, crs="EPSG:4526")
    assert max_distance_m(list(result.frame.geometry), ZHAOXIAN) < 1.0


def test_xian80_warns_about_the_datum(tmp_path: Path) -> None:
    metres = project(ZHAOXIAN, "EPSG:4610", "EPSG:2362")  # Xi'an 80 3° Gauss-Krüger zone 38 (x with prefix)
    shp = write(grids(crs="EPSG:2362", geoms=metres), tmp_path / "xian.shp", encoding="UTF-8")
    result = read_file(shp)
    assert result.crs_in == "EPSG:2362"
    assert any("Xian 1980" in w and "tens of metres" in w for w in result.warnings)


def test_legacy_geojson_crs_member_is_honoured(tmp_path: Path) -> None:
    metres = project(TIANJIN, "EPSG:4490", "EPSG:4527")
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4527"}},
        "features": [feature(g, code=f"00{i}") for i, g in enumerate(metres, start=1)],
    }
    result = read_file(write_json(tmp_path / "legacy.geojson", document))
    assert result.crs_in == "EPSG:4527"
    assert max_distance_m(list(result.frame.geometry), TIANJIN) < 1.0


@pytest.mark.parametrize(("coords", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_amap_and_baidu_coordinates_are_converted(tmp_path: Path, coords: str, forward) -> None:
    offset = _shifted(ZHAOXIAN, forward)
    assert max_distance_m(offset, ZHAOXIAN) > 100  # the offset is hundreds of metres
    document = {"type": "FeatureCollection", "features": [feature(g, code="001") for g in offset]}
    path = write_json(tmp_path / f"{coords}.geojson", document)
    result = read_file(path, coords=coords)
    assert max_distance_m(list(result.frame.geometry), ZHAOXIAN) < 5.0
    assert max_distance_m(list(read_file(path).frame.geometry), ZHAOXIAN) > 100


def test_coords_outside_china_warns_and_unknown_coords_is_refused(tmp_path: Path) -> None:
    chicago = box(-87.7, 41.8, -87.6, 41.9)
    path = write_json(tmp_path / "c.geojson", {"type": "FeatureCollection", "features": [feature(chicago)]})
    result = read_file(path, coords="gcj02")
    assert result.frame.geometry.iloc[0].equals(chicago)
    assert any("outside China" in w for w in result.warnings)
    with pytest.raises(GeoError, match="unknown --coords 'wgs-84'"):
        read_file(path, coords="wgs-84")
    with pytest.raises(GeoError, match="unknown coordinate system 'EPSG:99999'"):
        read_file(path, crs="EPSG:99999")
