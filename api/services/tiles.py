"""Mapbox vector tiles of the boundary layers, straight from PostGIS (``ST_AsMVT``).

Tiles are cached keyed by the layer's version (the id of its latest import), so an import, revert or applied
proposal makes every cached tile of that layer unreachable at once — never stale. The cache is in memory and,
when given a folder, on disk too, so that every server worker shares what one of them rendered.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.errors import BadRequest
from api.layers import LAYERS, Layer
from api.scope import boundary_condition, read_precinct, scope_key
from api.services.store import LAYER_VERSION_SQL, layer_version

__all__ = ["Tile", "TileCache", "get_tile", "render", "TILE_PROPERTIES"]

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
_WORLD = 40075016.68557849  # width of the Web Mercator square, metres

# What each layer's styles need, besides code and name (columns from the registry, never from a request).
TILE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "precincts": (),
    "districts": ("precinct_code", "officer", "auxiliaries"),
    "grids": ("district_code", "precinct_code", "community", "households", "grid_worker"),
}


@dataclass(frozen=True)
class Tile:
    data: bytes
    version: int


class TileCache:
    """A bounded, thread-safe LRU of tile bytes; one per app (per database)."""

    def __init__(self, size: int = 4096, folder: Path | None = None) -> None:
        self.size = size
        self.folder = folder
        self.items: OrderedDict[tuple[str, int, int, int, int], bytes] = OrderedDict()
        self.lock = threading.Lock()
        self.claimed: set[tuple[str, int]] = set()

    def claim(self, layer: str, version: int) -> bool:
        """True exactly once per layer version across every worker sharing the folder: that one seeds it."""
        with self.lock:
            if (layer, version) in self.claimed:
                return False
            self.claimed.add((layer, version))
        if self.folder is None:
            return True
        marker = self.folder / layer / str(version) / ".seed"
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        except OSError:
            return False  # an unwritable cache folder: tiles render on request as before
        return True

    def mark_seeded(self, layer: str, version: int, note: str) -> None:
        """Leave ``.seeded`` (what was rendered, how long it took) next to a fully seeded version's tiles."""
        if self.folder is not None:
            with contextlib.suppress(OSError):
                (self.folder / layer / str(version) / ".seeded").write_text(note + "\n")

    def _path(self, key: tuple[str, int, int, int, int]) -> Path | None:
        if self.folder is None:
            return None
        layer, version, z, x, y = key
        return self.folder / layer / str(version) / str(z) / str(x) / f"{y}.pbf"

    def get(self, key: tuple[str, int, int, int, int]) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
                return value
        path = self._path(key)
        if path is None:
            return None
        try:
            value = path.read_bytes()
        except OSError:
            return None
        self._remember(key, value)
        return value

    def put(self, key: tuple[str, int, int, int, int], value: bytes) -> None:
        self._remember(key, value)
        path = self._path(key)
        if path is None:
            return
        with contextlib.suppress(OSError):  # a full or read-only disk only costs speed
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(value)
            os.replace(tmp, path)  # atomic: another worker never reads half a tile
            self._forget_older(key[0], key[1])

    def _remember(self, key: tuple[str, int, int, int, int], value: bytes) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def _forget_older(self, layer: str, version: int) -> None:
        """Tiles of versions before ``version`` can never be asked for again: remove them from disk."""
        assert self.folder is not None
        for old in (self.folder / layer).glob("*"):
            if old.name.isdigit() and int(old.name) < version:
                shutil.rmtree(old, ignore_errors=True)


# Zoom -> the generated column (migration 0005, api.models) holding the geometry simplified by that zoom's
# request-time tolerance. A tile of that zoom reads it as it is; a tile of a lower zoom (< 12) simplifies geom_z12
# further by what its own tolerance leaves (so no vertex moves by more than its request-time tolerance); tiles of
# zoom 14 and deeper simplify geom_3857.
OVERVIEWS = {12: "geom_z12", 13: "geom_z13"}


def _tolerance(z: int) -> float:
    """A quarter of a screen pixel (4 of 4096 tile units) at zoom ``z``, in metres: invisible."""
    return _WORLD / 2**z / EXTENT * 4


def _geometry(z: int) -> tuple[str, float | None]:
    """SQL of the geometry a zoom-``z`` tile draws (``:tol`` its extra simplification, None when none is needed)."""
    if z in OVERVIEWS:
        return f"t.{OVERVIEWS[z]}", None
    if z < min(OVERVIEWS):
        top = min(OVERVIEWS)
        return f"ST_Simplify(t.{OVERVIEWS[top]}, :tol, true)", _tolerance(z) - _tolerance(top)
    return "ST_Simplify(t.geom_3857, :tol, true)", _tolerance(z)


def _sql(layer: Layer, scoped: bool = False, z: int = MAX_ZOOM) -> str:
    """The tile as one statement: clip, move into tile units, snap, encode.

    Simplified to a quarter of a screen pixel (read from the overview column at zoom 12 and 13): invisible, and
    it spares the rest most vertices. Each feature is then clipped to the tile and its buffer (GEOS' rectangle
    clip), scaled into the tile's 4096 units (y down), snapped to whole units and oriented as the MVT spec wants
    (exterior rings clockwise on screen) — what ST_AsMVTGeom does, but without its Wagyu pass, which rebuilt every
    polygon to make it valid and was most of a tile's time; the snapped rings are the same, a vertex may touch
    another within a unit (1/16 of a pixel). Features left without area (outside the tile, or collapsed by the
    snapping) are dropped. The subquery is fenced (OFFSET 0) so that the filter on its result does not compute it twice.
    """
    props = ", ".join(f"t.{c}" for c in ("code", "name", *TILE_PROPERTIES[layer.name]))
    geometry, _ = _geometry(z)
    box = "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 3857)"
    return f"""
        SELECT ST_AsMVT(features.*, :name, {EXTENT}, 'geom')
        FROM (
            SELECT ST_ForcePolygonCCW(ST_CollectionExtract(ST_SnapToGrid(
                       ST_Affine(ST_ClipByBox2D({geometry}, {box}), :scale, 0, 0, -:scale, :dx, :dy), 1), 3)) AS geom,
                   {props}
            FROM {layer.table} t
            WHERE t.valid_to IS NULL AND t.geom_3857 && {box}
                  {"AND " + boundary_condition(layer.name) if scoped else ""}
            OFFSET 0
        ) features
        WHERE ST_Area(features.geom) > 0
    """


def _check(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2**z and 0 <= y < 2**z):
        raise BadRequest(f"no tile {z}/{x}/{y}: zoom 0–{MAX_ZOOM}, x and y 0–2^zoom−1")


def get_tile(
    session: Session, cache: TileCache, layer_name: str, z: int, x: int, y: int, version: int | None = None
) -> Tile:
    """The tile's bytes (possibly empty) and the layer version they were made from.

    ``version``: the version the page asked for. A cached tile of that version is served without asking the
    database (its bytes never change); otherwise the current version is looked up.
    """
    _check(z, x, y)
    layer = LAYERS[layer_name]
    # A user limited to one precinct gets tiles of that precinct only, cached apart from everyone else's.
    scope = read_precinct(None)
    cached_as = f"{layer_name}~{scope_key()}" if scope else layer_name
    if version is not None:
        cached = cache.get((cached_as, version, z, x, y))
        if cached is not None:
            return Tile(cached, version)
        # Not cached: the current version and the tile of it in one statement (one round trip, one snapshot).
        current, data = _query(session, layer, z, x, y, scope, with_version=True)
        assert current is not None
        if current != version:  # the page asked for an older version: the current one's tile may be cached
            cached = cache.get((cached_as, current, z, x, y))
            if cached is not None:
                return Tile(cached, current)
        cache.put((cached_as, current, z, x, y), data)
        return Tile(data, current)
    version = layer_version(session, layer_name)
    key = (cached_as, version, z, x, y)
    cached = cache.get(key)
    if cached is not None:
        return Tile(cached, version)
    data = render(session, layer, z, x, y, precinct=scope)
    cache.put(key, data)
    return Tile(data, version)


def render(session: Session, layer: Layer, z: int, x: int, y: int, precinct: str | None = None) -> bytes:
    """One tile of the layer's current rows (of ``precinct`` only, when given), from PostGIS."""
    return _query(session, layer, z, x, y, precinct)[1]


def _query(
    session: Session, layer: Layer, z: int, x: int, y: int, precinct: str | None, with_version: bool = False
) -> tuple[int | None, bytes]:
    """The tile, and with ``with_version`` the layer's current version (as :func:`layer_version`) beside it."""
    tile_m = _WORLD / 2**z
    west, north = -_WORLD / 2 + x * tile_m, _WORLD / 2 - y * tile_m
    margin = tile_m * BUFFER / EXTENT
    scale = EXTENT / tile_m
    _, tolerance = _geometry(z)
    params = {
        "name": layer.name,
        "tol": tolerance,
        # the tile with its buffer, in metres; then metres -> tile units: x right from the west edge, y down from
        # the north edge
        "x0": west - margin,
        "y0": north - tile_m - margin,
        "x1": west + tile_m + margin,
        "y1": north + margin,
        "scale": scale,
        "dx": -west * scale,
        "dy": north * scale,
        "scope": precinct,
    }
    sql = _sql(layer, scoped=precinct is not None, z=z)
    if not with_version:
        return None, bytes(session.scalar(text(sql), params) or b"")
    row = session.execute(text(f"SELECT ({LAYER_VERSION_SQL}), ({sql})"), {**params, "layer": layer.name}).one()
    return int(row[0]), bytes(row[1] or b"")
