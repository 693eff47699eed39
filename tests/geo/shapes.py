"""Hand-built layers for the alignment tests: shapes drawn in metres (UTM 50N) near 114.8°E 37.7°N and
stored in lon/lat, so that areas and shares have exact answers."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pyproj
import shapely

UTM = "EPSG:32650"
X0, Y0 = pyproj.Transformer.from_crs(4326, UTM, always_xy=True).transform(114.8, 37.7)


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A rectangle in metres relative to the origin near 114.8°E 37.7°N."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def frame(codes: list[str], geoms: list[Any], **columns: list[Any]) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:4326 from shapes drawn in metres."""
    return gpd.GeoDataFrame({"code": codes, **columns}, geometry=geoms, crs=UTM).to_crs(4326)
