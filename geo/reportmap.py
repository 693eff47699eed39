"""A coverage map for printed reports, as a drawing plan: grids coloured by patrol coverage, district outlines
and names, a legend and a scale bar, laid out in a box of the page (points, origin bottom left).

Pure: GeoDataFrames in, plain shapes out; a PDF writer (or anything that draws paths) turns the plan into ink.
Drawing happens in the local UTM zone, so the scale bar is true in metres.

>>> import geopandas as gpd, shapely
>>> grids = gpd.GeoDataFrame({"code": ["a"], "coverage": [0.5]},
...                          geometry=[shapely.box(114.80, 37.70, 114.81, 37.71)], crs=4326)
>>> plan = coverage_map(grids, None, width=200, height=150)
>>> plan.polygons[0].fill, plan.scale_bar.metres
('#ffffbf', 200)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geo.errors import GeoError

__all__ = ["BINS", "COLOURS", "NO_DATA", "Shape", "Label", "ScaleBar", "MapPlan", "coverage_map", "colour_for",
           "nice_length"]  # fmt: skip

BINS = (0.2, 0.4, 0.6, 0.8)  # upper edges of the first four classes; the last runs to 100 %
COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")  # ColorBrewer RdYlGn, 5 classes
NO_DATA = "#d9d9d9"
_SIMPLIFY_PT = 0.25  # vertices closer than a quarter point cannot be seen on paper


@dataclass
class Shape:
    """One polygon (or part) as rings of page coordinates; ``fill`` None = outline only."""

    rings: list[NDArray[np.float64]]
    fill: str | None
    stroke: str
    width: float


@dataclass
class Label:
    x: float
    y: float
    text: str


@dataclass
class ScaleBar:
    x: float
    y: float
    length: float  # points on the page
    metres: int


@dataclass
class MapPlan:
    width: float
    height: float
    polygons: list[Shape] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, range text)
    scale_bar: ScaleBar | None = None
    crs: str = ""


def colour_for(coverage: float | None) -> str:
    """The class colour of a coverage share (0–1); grey when unknown."""
    if coverage is None or not math.isfinite(coverage):
        return NO_DATA
    return COLOURS[int(np.searchsorted(BINS, coverage, side="right"))]


def nice_length(metres: float) -> int:
    """The largest 1, 2 or 5 × 10ⁿ metres not above ``metres`` (at least 1)."""
    if metres < 1:
        return 1
    power = 10 ** math.floor(math.log10(metres))
    return int(max(step * power for step in (1, 2, 5) if step * power <= metres))


def _legend(no_data: str) -> list[tuple[str, str]]:
    edges = (0.0, *BINS, 1.0)
    items = [(c, f"{edges[i] * 100:.0f}–{edges[i + 1] * 100:.0f}%") for i, c in enumerate(COLOURS)]
    return [*items, (NO_DATA, no_data)]


def _shapes(geoms: NDArray[np.object_], fills: list[str | None], stroke: str, width: float) -> list[Shape]:
    """One :class:`Shape` per polygon part (exterior and holes), of geometries already in page points."""
    out = []
    for geom, fill in zip(geoms, fills, strict=True):
        for part in getattr(geom, "geoms", [geom]):
            if part is None or part.is_empty or part.geom_type != "Polygon":
                continue
            rings = [np.asarray(r.coords)[:, :2] for r in (part.exterior, *part.interiors)]
            out.append(Shape(rings, fill, stroke, width))
    return out


def coverage_map(
    grids: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame | None,
    *,
    width: float,
    height: float,
    outline: gpd.GeoDataFrame | None = None,
    no_data: str = "no data",
    margin: float = 4.0,
) -> MapPlan:
    """The plan for ``grids`` (column ``coverage``, 0–1 or None) inside ``width`` × ``height`` points.

    ``districts`` (column ``name`` when labelled) are drawn as dark outlines, ``outline`` (the precinct) thicker.
    The scale bar and the legend sit in the lower corners, below the map.
    """
    if grids.empty:
        raise GeoError("nothing to draw: no grids")
    utm = grids.estimate_utm_crs()
    metric = grids.to_crs(utm)
    bar_room, map_h = 26.0, height - 26.0 - 2 * margin
    x0, y0, x1, y1 = metric.total_bounds
    scale = min((width - 2 * margin) / max(x1 - x0, 1.0), map_h / max(y1 - y0, 1.0))
    # centre the drawing in the box above the legend strip
    off_x = margin + ((width - 2 * margin) - (x1 - x0) * scale) / 2
    off_y = bar_room + margin + (map_h - (y1 - y0) * scale) / 2
    tol = _SIMPLIFY_PT / scale
    plan = MapPlan(width, height, legend=_legend(no_data), crs=utm.to_string())

    def place(frame: gpd.GeoDataFrame) -> NDArray[np.object_]:
        geoms = shapely.simplify(np.asarray(frame.to_crs(utm).geometry.values), tol, preserve_topology=True)
        return _to_page(geoms, (x0, y0), scale, (off_x, off_y))

    cover: list[str | None] = [colour_for(None if v is None or v != v else float(v)) for v in grids["coverage"]]
    plan.polygons += _shapes(place(metric), cover, "#ffffff", 0.3)
    if districts is not None and not districts.empty:
        plan.polygons += _shapes(place(districts), [None] * len(districts), "#333333", 0.8)
        if "name" in districts.columns:
            inner = shapely.point_on_surface(np.asarray(districts.to_crs(utm).geometry.values))
            points = _to_page(inner, (x0, y0), scale, (off_x, off_y))
            plan.labels += [Label(p.x, p.y, str(n)) for p, n in zip(points, districts["name"], strict=True) if n]
    if outline is not None and not outline.empty:
        plan.polygons += _shapes(place(outline), [None] * len(outline), "#000000", 1.6)
    metres = nice_length((width - 2 * margin) / 4 / scale)
    plan.scale_bar = ScaleBar(width - margin - metres * scale, margin + 6, metres * scale, metres)
    return plan


def _to_page(geoms: NDArray[np.object_], origin: tuple[float, float], scale: float,
             offset: tuple[float, float]) -> NDArray[np.object_]:  # fmt: skip
    def move(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        return (coords - origin) * scale + offset

    return shapely.transform(geoms, move)
