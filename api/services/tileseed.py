"""Rendering a layer's dense tiles before anyone asks for them.

At zoom ≤ 13 one tile of a city holds hundreds of grids and takes 10–40 ms of PostGIS time; at zoom 14 it holds a
few dozen and takes ~3 ms. A new layer version has only a few hundred such low-zoom tiles, so rendering them once,
in the background, takes the expensive renders out of request time: under load the slowest request is then a
cheap one.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.layers import LAYERS, Layer
from api.services.store import layer_version
from api.services.tiles import _WORLD, TileCache, render

__all__ = ["SEED_MAX_ZOOM", "tiles_over", "seed"]

SEED_MAX_ZOOM = 13


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


def seed(session: Session, cache: TileCache, layer_name: str, max_zoom: int = SEED_MAX_ZOOM) -> int:
    """Render every tile of the layer's current version up to ``max_zoom`` that the cache lacks; how many.

    Run it in one snapshot (REPEATABLE READ) so that the version and the rows it renders agree.
    """
    layer = LAYERS[layer_name]
    version = layer_version(session, layer_name)
    bounds = _bounds(session, layer)
    if bounds is None:
        return 0
    rendered = 0
    for z in range(max_zoom + 1):
        for x, y in tiles_over(bounds, z):
            key = (layer_name, version, z, x, y)
            if cache.get(key) is None:
                cache.put(key, render(session, layer, z, x, y))
                rendered += 1
    return rendered
