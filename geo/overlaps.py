"""Gaps and overlaps between the polygons of one level, as pieces with area, width and a sliver flag.

A **gap** is area inside the parent covered by no child; an **overlap** is area covered by two children
(DESIGN.md). Pieces are connected polygons in metres; :func:`entries` turns them into the document's
``{"level", "precinct", "codes", "area_m2", "width_m", "sliver", "geometry"}`` entries.

>>> a, b = shapely.box(0, 0, 10, 10), shapely.box(9, 0, 20, 10)
>>> found = overlaps(np.array(["a", "b"], dtype=object), np.array([a, b]), "districts")
>>> found.codes, [round(float(shapely.area(g)), 1) for g in found.geoms]
([('a', 'b')], [10.0])
>>> [round(float(shapely.area(g)), 1) for g in gaps(shapely.box(0, 0, 30, 10), [a, b], "districts").geoms]
[100.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.edges import Edges
from geo.metric import Metric, geojson_many, parallel, pieces, pieces_of, width
from geo.pairarea import intersection_areas

__all__ = ["Pieces", "overlaps", "gaps", "holes", "entries"]

OVERLAP_MIN_M2 = 1e-4
"""Pairs whose exact common area (boundary engine) is below this are not intersected: far above the engine's
float noise at UTM coordinates (~1e-7 m²), far below :data:`~geo.metric.NOISE_M2` (their pieces would be dropped
as noise anyway)."""


@dataclass
class Pieces:
    """Gap or overlap pieces of one kind (lists of equal length; geometries in metres)."""

    kind: str  # "gap" or "overlap"
    level: list[str] = field(default_factory=list)
    precinct: list[str | None] = field(default_factory=list)
    codes: list[tuple[str, str] | None] = field(default_factory=list)
    geoms: list[shapely.Geometry] = field(default_factory=list)

    def add(self, level: str, precinct: str | None, codes: tuple[str, str] | None, geom: Any) -> None:
        for part in pieces(geom):
            self.level.append(level)
            self.precinct.append(precinct)
            self.codes.append(codes)
            self.geoms.append(part)

    def add_many(
        self, level: str, precincts: Sequence[str | None], codes: Sequence[tuple[str, str] | None], geoms: Any
    ) -> None:
        """:meth:`add` for many geometries at once (snapped together, on a few threads)."""
        parts, owner = pieces_of(geoms)
        self.level += [level] * parts.size
        self.precinct += [precincts[k] for k in owner.tolist()]
        self.codes += [codes[k] for k in owner.tolist()]
        self.geoms += list(parts)

    def extend(self, other: Pieces) -> Pieces:
        self.level += other.level
        self.precinct += other.precinct
        self.codes += other.codes
        self.geoms += other.geoms
        return self

    def area(self) -> float:
        return float(shapely.area(np.asarray(self.geoms, dtype=object)).sum()) if self.geoms else 0.0


def overlap_pairs(
    geoms: NDArray[np.object_], check_coverage: bool = False, edges: Edges | None = None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Index pairs i < j of polygons that intersect (candidates for an overlap).

    Given the layer's :func:`~geo.edges.edges`, only the pairs whose boxes meet and whose exact common area
    (:mod:`geo.pairarea`) reaches :data:`OVERLAP_MIN_M2` — pairs that merely touch along a border are most of
    the rest and cost as much to intersect; this also finds a polygon lying wholly inside another, which the
    coverage validator does not report (no edges interact). Else, with ``check_coverage`` (for big layers that
    should tile), GEOS's coverage validator first keeps only the polygons with an invalid edge: a layer that
    tiles cleanly needs no pairwise work at all.
    """
    if edges is not None:
        i, j = shapely.STRtree(geoms).query(geoms)
        keep = i < j
        i, j = i[keep].astype(np.int64), j[keep].astype(np.int64)
        area = intersection_areas(geoms, geoms, i, j, edges, edges)
        keep = np.flatnonzero(area >= OVERLAP_MIN_M2)
        keep = keep[np.lexsort((j[keep], i[keep]))]
        return i[keep], j[keep]
    idx = np.arange(geoms.size)
    if check_coverage:
        idx = np.flatnonzero(~shapely.is_empty(shapely.coverage_invalid_edges(geoms)))
    sub = geoms[idx]
    shapely.prepare(sub)
    i, j = shapely.STRtree(sub).query(sub, predicate="intersects")
    keep = i < j
    return idx[i[keep]].astype(np.int64), idx[j[keep]].astype(np.int64)


def overlaps(
    codes: NDArray[np.object_],
    geoms: NDArray[np.object_],
    level: str,
    groups: Sequence[str | None] | NDArray[np.object_] | None = None,
    *,
    check_coverage: bool = False,
    edges: Edges | None = None,
) -> Pieces:
    """Overlap pieces between the polygons ``geoms`` (with their ``edges`` when known, see
    :func:`overlap_pairs`); a piece's precinct is the pair's common group."""
    geoms = np.asarray(geoms, dtype=object)
    found = Pieces("overlap")
    i, j = overlap_pairs(geoms, check_coverage, edges)
    if i.size == 0:
        return found
    shared = parallel(shapely.intersection, geoms[i], geoms[j], min_chunk=8)
    pairs = list(zip(i.tolist(), j.tolist(), strict=True))
    common = [groups[a] if groups is not None and groups[a] == groups[b] else None for a, b in pairs]
    found.add_many(level, common, [(str(codes[a]), str(codes[b])) for a, b in pairs], shared)
    return found


def gaps(parent: shapely.Geometry, children: Sequence[Any], level: str, precinct: str | None = None) -> Pieces:
    """Gap pieces: ``parent`` minus the union of ``children``."""
    found = Pieces("gap")
    union = shapely.union_all(np.asarray(children, dtype=object)) if len(children) else shapely.Polygon()
    found.add(level, precinct, None, shapely.difference(parent, union))
    return found


def holes(geoms: NDArray[np.object_], level: str) -> Pieces:
    """Gaps between polygons inside the outline of their union: the holes of that union."""
    found = Pieces("gap")
    union = shapely.union_all(geoms)
    for part in shapely.get_parts(union):
        for ring in shapely.get_rings(part)[1:]:
            found.add(level, None, None, shapely.polygons(ring))
    return found


def entries(found: Pieces, metric: Metric, sliver_area_m2: float, sliver_width_m: float) -> list[dict[str, Any]]:
    """Document entries, sorted by level, precinct, codes and area (largest first)."""
    if not found.geoms:
        return []
    geoms = np.asarray(found.geoms, dtype=object)
    areas, widths = shapely.area(geoms), width(geoms)
    shapes = geojson_many(metric.to_lonlat(geoms))
    out = []
    for k in range(geoms.size):
        entry: dict[str, Any] = {"level": found.level[k], "precinct": found.precinct[k]}
        if found.kind == "overlap":
            entry["codes"] = list(found.codes[k] or ())
        entry["area_m2"] = round(float(areas[k]), 2)
        entry["width_m"] = round(float(widths[k]), 3)
        entry["sliver"] = bool(areas[k] < sliver_area_m2 or widths[k] < sliver_width_m)
        entry["geometry"] = shapes[k]
        out.append(entry)
    out.sort(key=lambda e: (e["level"], e["precinct"] or "", e.get("codes", []), -e["area_m2"]))
    return out
