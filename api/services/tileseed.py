"""Rendering a layer's tiles before anyone asks for them.

At zoom ≤ 13 one tile of a city holds hundreds of grids and takes 10–40 ms of PostGIS time; at zoom 14 it holds a
few dozen and takes ~3 ms, but a browser asks for many at once and eight users share two cores. A new layer
version of a city has a few hundred tiles down to zoom 13 and under a thousand at zoom 14, so rendering them once,
in the background (as tile servers' seeding does), serves the views people use from the cache. A level whose
tiles would pass the budget is left to render on request, so a province-sized layer does not seed for minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.layers import LAYERS, Layer
from api.services.store import layer_version
from api.services.tiles import _WORLD, TileCache, render

__all__ = ["SEED_MAX_ZOOM", "SEED_MAX_TILES", "Seeded", "tiles_over", "seed"]

SEED_MAX_ZOOM = 14
SEED_MAX_TILES = 2000  # ~10 s of PostGIS time for a 20,000-grid city


class Seeded(NamedTuple):
    rendered: int  # tiles rendered now (the others were cached already)
    zoom: int  # the deepest level seeded whole; -1 for none


def tiles_over(bounds: tuple[float, float, float, float], z: int) -> Iterator[tuple[int, int]]:
    """The (x, y) of every zoom-``z`` tile that a Web Mercator box touches."""
    x0, y0, x1, y1 = bounds
    n = 2**z
    size, half = _WORLD / n, _WORLD / 2

    def clamp(v: float) -> int:
        return min(n - 1, max(0, int(v // size)))

    for x in range(clamp(x0 + half), clamp(x1 + half) + 1):
        for y in range(clamp(half - y1), clamp(half - y0) + 1):
            yield x, y


def _bounds(session: Session, layer: Layer) -> tuple[float, float, float, float] | None:
    row = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(geom_3857) AS e FROM {layer.table} WHERE valid_to IS NULL) s"
        )
    ).one()
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def seed(
    session: Session,
    cache: TileCache,
    layer_name: str,
    max_zoom: int = SEED_MAX_ZOOM,
    max_tiles: int = SEED_MAX_TILES,
) -> Seeded:
    """Render every tile of the layer's current version up to ``max_zoom`` that the cache lacks.

    Levels are taken whole, top down, while the tiles of all levels so far stay within ``max_tiles``. Run it in
    one snapshot (REPEATABLE READ) so that the version and the rows it renders agree.
    """
    layer = LAYERS[layer_name]
    version = layer_version(session, layer_name)
    bounds = _bounds(session, layer)
    if bounds is None:
        return Seeded(0, -1)
    rendered = total = 0
    deepest = -1
    for z in range(max_zoom + 1):
        level = list(tiles_over(bounds, z))
        total += len(level)
        if total > max_tiles:
            break
        for x, y in level:
            key = (layer_name, version, z, x, y)
            if cache.get(key) is None:
                cache.put(key, render(session, layer, z, x, y))
                rendered += 1
        deepest = z
    return Seeded(rendered, deepest)
