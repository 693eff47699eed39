"""Spotting GCJ-02 / BD-09 shifted layers against stored ones, on the demo city's real-outline grids."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from geo.offsets import suggest_coords

GRIDS = Path(__file__).resolve().parents[2] / "data" / "boundaries" / "grids.geojson"


def _shift(geoms, func):
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.column_stack(func(*xy.T)))


def test_gcj02_and_bd09_layers_are_recognised():
    grids = gpd.read_file(GRIDS).geometry.values
    districts_like = grids[:60]  # a subset shares its edges with the full layer
    hint = suggest_coords(_shift(districts_like, wgs84_to_gcj02), grids)
    assert hint is not None and hint.coords == "gcj02"
    assert hint.median_m > 50 and hint.corrected_m < 1
    assert "--coords gcj02" in hint.message("a.geojson")
    hint = suggest_coords(_shift(districts_like, wgs84_to_bd09), grids)
    assert hint is not None and hint.coords == "bd09"


def test_aligned_or_unrelated_layers_give_no_hint():
    grids = gpd.read_file(GRIDS).geometry.values
    assert suggest_coords(grids[:60], grids) is None
    elsewhere = [shapely.box(2.30, 48.80, 2.40, 48.90)]  # Paris: no offset there, nothing to suggest
    assert suggest_coords(elsewhere, grids) is None
    assert suggest_coords([], grids) is None
