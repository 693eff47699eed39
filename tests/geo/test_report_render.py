"""The printed coverage map's plan: inside its box, coloured by class, with a true scale bar."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.errors import GeoError
from geo.reportmap import COLOURS, NO_DATA, colour_for, coverage_map, nice_length


def _grids() -> gpd.GeoDataFrame:
    boxes = [shapely.box(114.80 + 0.01 * i, 37.70, 114.81 + 0.01 * i, 37.71) for i in range(4)]
    return gpd.GeoDataFrame({"code": list("abcd"), "coverage": [0.0, 0.5, 1.0, None]}, geometry=boxes, crs=4326)


def test_colours_follow_the_classes():
    assert [colour_for(v) for v in (0.0, 0.19, 0.2, 0.5, 0.99, 1.0)] == [COLOURS[i] for i in (0, 0, 1, 2, 4, 4)]
    assert colour_for(None) == NO_DATA
    assert colour_for(float("nan")) == NO_DATA


@pytest.mark.parametrize(("metres", "nice"), [(0.3, 1), (7, 5), (180, 100), (2600, 2000), (9999, 5000)])
def test_nice_lengths(metres, nice):
    assert nice_length(metres) == nice


def test_plan_fits_its_box_and_the_scale_bar_is_true():
    grids = _grids()
    districts = gpd.GeoDataFrame({"code": ["d"], "name": ["东区"]}, geometry=[grids.union_all()], crs=4326)
    plan = coverage_map(grids, districts, width=400, height=300, no_data="无数据")
    points = np.vstack([ring for shape in plan.polygons for ring in shape.rings])
    assert points[:, 0].min() >= 0 and points[:, 0].max() <= 400
    assert points[:, 1].min() >= 26 and points[:, 1].max() <= 300
    assert [s.fill for s in plan.polygons[:4]] == [COLOURS[0], COLOURS[2], COLOURS[4], NO_DATA]
    assert plan.labels[0].text == "东区"
    assert plan.legend[-1] == (NO_DATA, "无数据")
    # the four boxes are 0.04° wide: the page width of one metre times the true width gives the drawn width
    width_m = gpd.GeoSeries([grids.union_all()], crs=4326).to_crs(plan.crs).total_bounds
    drawn = points[:, 0].max() - points[:, 0].min()
    bar = plan.scale_bar
    assert bar is not None
    assert bar.length / bar.metres == pytest.approx(drawn / (width_m[2] - width_m[0]), rel=1e-3)


def test_nothing_to_draw():
    with pytest.raises(GeoError, match="no grids"):
        coverage_map(_grids().iloc[:0], None, width=100, height=100)
