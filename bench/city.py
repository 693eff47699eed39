"""Seeded synthetic city: precincts ⊇ districts ⊇ grids, in lon/lat around 115°E 38°N.

Grids are Voronoi cells of Lloyd-relaxed random points whose shared edges are densified and wiggled
identically on both sides, so the grid layer tiles with no gaps or overlaps. Districts are unions of whole
grids, each simplified on its own (edges then wander a metre or two off the grid lines, as separately drawn
layers do); a few precincts have "hand-drawn" districts that ignore the grids, and a few grids on the city
edge belong to no district. Precincts are unions of their districts' grids, simplified on their own too.

>>> precincts, districts, grids = make_city(seed=1, precincts=2, districts=8, grids=120, cache=False)
>>> len(precincts), len(districts), len(grids)
(2, 8, 120)
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

__all__ = ["make_city", "city_path", "write_city", "main"]

VERSION = 2
OUT = Path(__file__).resolve().parent / "out"
UTM = "EPSG:32650"
CENTRE = (115.0, 38.0)
GRID_AREA_M2 = 90_000.0  # ~300 m cells, 150–500 households each
GRID_VERTICES = 90
WIGGLE_M = 6.0  # amplitude of the smooth wiggle of a grid edge
JITTER_M = 4.0  # vertex jitter on top of it
DISTRICT_SIMPLIFY_M = 1.5
PRECINCT_SIMPLIFY_M = 3.0
HAND_DRAWN = 0.1  # share of precincts whose districts ignore the grid lines
ORPHANS = 0.002  # share of grids (on the city edge) left out of every district


def city_path(seed: int = 0, precincts: int = 50, districts: int = 1000, grids: int = 20000) -> Path:
    """Where the cached city for these parameters lives (a GeoPackage with three layers)."""
    return OUT / f"city-v{VERSION}-s{seed}-p{precincts}-d{districts}-g{grids}.gpkg"


def make_city(
    seed: int = 0,
    precincts: int = 50,
    districts: int = 1000,
    grids: int = 20000,
    *,
    cache: bool = True,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return ``(precincts, districts, grids)`` GeoDataFrames in EPSG:4326, cached in ``bench/out/``."""
    if not precincts <= districts <= grids:
        raise ValueError("need precincts <= districts <= grids")
    path = city_path(seed, precincts, districts, grids)
    if cache and path.exists():
        layers = [gpd.read_file(path, layer=name) for name in ("precincts", "districts", "grids")]
        return layers[0], layers[1], layers[2]
    city = _generate(np.random.default_rng(seed), precincts, districts, grids)
    if cache:
        _write_gpkg(city, path)
    return city


# --- points and cells -------------------------------------------------------------------------------------


def _extent(grids: int) -> tuple[float, float, float, float]:
    x, y = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(*CENTRE)
    width = (grids * GRID_AREA_M2 * 1.25) ** 0.5
    height = width / 1.25
    return x - width / 2, y - height / 2, x + width / 2, y + height / 2


def _voronoi(points: np.ndarray, extent: shapely.Geometry) -> np.ndarray:
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent, ordered=True)
    return np.asarray(shapely.get_parts(cells))


def _relaxed(rng: np.random.Generator, n: int, rect: tuple[float, ...], rounds: int = 2) -> np.ndarray:
    """``n`` random points in ``rect`` made evenly spread by a few Lloyd iterations."""
    x0, y0, x1, y1 = rect
    points = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    box = shapely.box(*rect)
    for _ in range(rounds):
        cells = shapely.intersection(_voronoi(points, box), box)
        points = shapely.get_coordinates(shapely.centroid(cells))
    return points


def _padding(rng: np.random.Generator, rect: tuple[float, ...]) -> np.ndarray:
    """A jittered band of points around ``rect`` so that every inner Voronoi cell is bounded."""
    step = GRID_AREA_M2**0.5
    x0, y0, x1, y1 = rect
    xs = np.arange(x0 - 3 * step, x1 + 3 * step, step)
    ys = np.arange(y0 - 3 * step, y1 + 3 * step, step)
    pts = np.array(np.meshgrid(xs, ys)).reshape(2, -1).T
    pts += rng.uniform(-0.2, 0.2, pts.shape) * step
    outside = (pts[:, 0] < x0 - step / 2) | (pts[:, 0] > x1 + step / 2)
    outside |= (pts[:, 1] < y0 - step / 2) | (pts[:, 1] > y1 + step / 2)
    return pts[outside]


# --- wiggled shared edges ---------------------------------------------------------------------------------


def _directed_edges(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coords, ring = shapely.get_coordinates(shapely.get_exterior_ring(cells), return_index=True)
    same = ring[1:] == ring[:-1]
    return coords[:-1][same], coords[1:][same], ring[:-1][same]


def _interior_points(rng: np.random.Generator, a: np.ndarray, b: np.ndarray, calm: np.ndarray):
    """Densified, wiggled interior points of each undirected edge a→b; returns (points, count, start)."""
    spacing = (GRID_AREA_M2**0.5) * 3.72 / (GRID_VERTICES - 6)
    length = np.hypot(*(b - a).T)
    count = np.maximum(np.rint(length / spacing).astype(int) - 1, 0)
    start = np.cumsum(count) - count
    edge = np.repeat(np.arange(a.shape[0]), count)
    t = (np.arange(count.sum()) - start[edge] + 1) / (count[edge] + 1)
    harmonics = rng.normal(0.0, 1.0, (a.shape[0], 3)) * WIGGLE_M / np.array([1.5, 3.0, 4.5])
    offset = sum(harmonics[edge, h] * np.sin(np.pi * (h + 1) * t) for h in range(3))
    offset = offset + rng.normal(0.0, JITTER_M, t.size)
    room = 0.4 * np.minimum(t, 1 - t) * length[edge]  # never cross the neighbouring edges at a corner
    offset = np.clip(offset, -room, room) * ~calm[edge]
    normal = np.column_stack([a[:, 1] - b[:, 1], b[:, 0] - a[:, 0]]) / np.maximum(length, 1e-9)[:, None]
    points = a[edge] + t[:, None] * (b - a)[edge] + offset[:, None] * normal[edge]
    return points, count, start


def _wiggle(rng: np.random.Generator, cells: np.ndarray) -> np.ndarray:
    """Densify and wiggle every edge, the same way on both of its sides; calm the edges of bad cells."""
    p, q, owner = _directed_edges(cells)
    flip = (p[:, 0] > q[:, 0]) | ((p[:, 0] == q[:, 0]) & (p[:, 1] > q[:, 1]))
    canon = np.hstack([np.where(flip[:, None], q, p), np.where(flip[:, None], p, q)])
    unique, uid = np.unique(canon, axis=0, return_inverse=True)
    uid = uid.ravel()
    calm = np.zeros(unique.shape[0], dtype=bool)
    state = rng.bit_generator.state
    for _ in range(4):
        rng.bit_generator.state = state
        points, count, start = _interior_points(rng, unique[:, :2], unique[:, 2:], calm)
        polygons = _assemble(p, owner, flip, uid, points, count, start)
        bad = ~shapely.is_valid(polygons)
        if not bad.any():
            return polygons
        calm[uid[bad[owner]]] = True
    raise RuntimeError("could not wiggle the grid edges into valid polygons")


def _assemble(p, owner, flip, uid, points, count, start) -> np.ndarray:
    k = count[uid]
    slots = 1 + k
    edge = np.repeat(np.arange(p.shape[0]), slots)
    pos = np.arange(slots.sum()) - np.repeat(np.cumsum(slots) - slots, slots)
    j = np.where(flip[edge], k[edge] - pos, pos - 1)
    src = np.clip(start[uid[edge]] + j, 0, max(points.shape[0] - 1, 0))
    xy = np.where((pos == 0)[:, None], p[edge], points[src] if points.size else p[edge])
    return shapely.polygons(shapely.linearrings(xy, indices=owner[edge]))


# --- hierarchy --------------------------------------------------------------------------------------------


def _nearest(points: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Index of the nearest seed for each point; every seed gets at least one point."""
    tree = shapely.STRtree(shapely.points(seeds))
    owner = tree.query_nearest(shapely.points(points), all_matches=False)[1]
    for _ in range(seeds.shape[0]):
        empty = np.setdiff1d(np.arange(seeds.shape[0]), owner)
        if empty.size == 0:
            return owner
        k = empty[0]
        sizes = np.bincount(owner, minlength=seeds.shape[0])
        d = np.hypot(*(points - seeds[k]).T) + np.where(sizes[owner] > 1, 0.0, np.inf)
        owner[np.argmin(d)] = k
    return owner


def _hierarchy(rng, rect, grid_pts, n_prec, n_dist):
    district_pts = _relaxed(rng, n_dist, rect, rounds=3)
    grid_district = _nearest(grid_pts, district_pts)
    precinct_pts = _relaxed(rng, n_prec, rect, rounds=3)
    district_precinct = _nearest(district_pts, precinct_pts)
    order = np.lexsort((district_pts[:, 1], district_pts[:, 0], district_precinct))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)  # districts numbered precinct by precinct
    return district_pts[order], rank[grid_district], district_precinct[order]


def _district_shapes(rng, cells, grid_district, district_precinct, district_pts, rect):
    """District polygons (UTM): unions of grids, or hand-drawn Voronoi cells in a few precincts."""
    n_prec = int(district_precinct.max()) + 1
    hand = rng.choice(n_prec, max(1, round(HAND_DRAWN * n_prec)), replace=False) if n_prec > 1 else []
    edge_cells = shapely.intersects(cells, shapely.boundary(shapely.box(*rect)))
    orphan = np.zeros(cells.size, dtype=bool)
    pool = np.flatnonzero(edge_cells)
    orphan[rng.choice(pool, min(pool.size, round(ORPHANS * cells.size)), replace=False)] = True
    shapes = []
    for d in range(district_precinct.size):
        mine = cells[(grid_district == d) & ~orphan]
        p = district_precinct[d]
        if p in hand:  # Voronoi cells of the precinct's own district seeds, cut to the precinct
            in_precinct = cells[district_precinct[grid_district] == p]
            shape = _hand_drawn(in_precinct, district_pts, district_precinct, d)
        else:
            shape = shapely.coverage_union_all(mine) if mine.size else shapely.Polygon()
        shapes.append(shapely.simplify(shape, DISTRICT_SIMPLIFY_M))
    return np.asarray(shapes), orphan


def _hand_drawn(precinct_cells, district_pts, district_precinct, d):
    area = shapely.coverage_union_all(precinct_cells)
    seeds = np.flatnonzero(district_precinct == district_precinct[d])
    if seeds.size == 1:
        return area
    far = shapely.box(*shapely.bounds(area)).buffer(1e4)
    return shapely.intersection(_voronoi(district_pts[seeds], far)[np.searchsorted(seeds, d)], area)


def _generate(rng: np.random.Generator, n_prec: int, n_dist: int, n_grid: int):
    rect = _extent(n_grid)
    grid_pts = _relaxed(rng, n_grid, rect)
    all_pts = np.vstack([grid_pts, _padding(rng, rect)])
    cells = _wiggle(rng, _voronoi(all_pts, shapely.box(*rect).buffer(1e4))[:n_grid])
    district_pts, grid_district, district_precinct = _hierarchy(rng, rect, grid_pts, n_prec, n_dist)
    districts, _ = _district_shapes(rng, cells, grid_district, district_precinct, district_pts, rect)
    grid_precinct = district_precinct[grid_district]
    precincts = np.asarray(
        [
            shapely.simplify(shapely.coverage_union_all(cells[grid_precinct == p]), PRECINCT_SIMPLIFY_M)
            for p in range(n_prec)
        ]
    )
    return _frames(rng, precincts, districts, cells, grid_district, district_precinct)


def _to_lonlat(geoms: np.ndarray) -> np.ndarray:
    tr = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def _frames(rng, precincts, districts, cells, grid_district, district_precinct):
    p_codes = np.array([f"130100-{i + 1:02d}" for i in range(precincts.size)])
    within = np.zeros(district_precinct.size, dtype=int)
    for p in range(precincts.size):
        mine = district_precinct == p
        within[mine] = np.arange(1, mine.sum() + 1)
    d_codes = np.array([f"{p_codes[p]}-{k:02d}" for p, k in zip(district_precinct, within, strict=True)])
    n = cells.size
    households = np.clip(rng.poisson(300, n), 150, 500)
    pgdf = gpd.GeoDataFrame(
        {"code": p_codes, "name": [f"第{i + 1}派出所" for i in range(precincts.size)]},
        geometry=_to_lonlat(precincts),
        crs="EPSG:4326",
    )
    pgdf["police"] = rng.integers(25, 60, precincts.size)
    dgdf = gpd.GeoDataFrame(
        {"code": d_codes, "name": [f"第{k}警务区" for k in within]},
        geometry=_to_lonlat(districts),
        crs="EPSG:4326",
    )
    dgdf.insert(2, "precinct_code", p_codes[district_precinct])
    dgdf["officers"] = rng.integers(1, 3, districts.size)
    dgdf["auxiliaries"] = rng.integers(2, 5, districts.size)
    ggdf = gpd.GeoDataFrame(
        {"code": [f"G{i + 1:05d}" for i in range(n)], "name": [f"网格{i + 1:05d}" for i in range(n)]},
        geometry=_to_lonlat(cells),
        crs="EPSG:4326",
    )
    ggdf["households"] = households
    ggdf["population"] = np.rint(households * rng.uniform(2.2, 3.4, cells.size)).astype(int)
    return pgdf, dgdf, ggdf


# --- files ------------------------------------------------------------------------------------------------


def _write_gpkg(city, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    for name, gdf in zip(("precincts", "districts", "grids"), city, strict=True):
        gdf.to_file(tmp, layer=name, driver="GPKG")
    os.replace(tmp, path)


def write_city(city, out: Path) -> list[Path]:
    """Write ``city.gpkg`` (three layers) and one Shapefile per layer (UTF-8, with .cpg) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "city.gpkg"]
    if written[0].exists():
        written[0].unlink()
    _write_gpkg(city, written[0])
    for name, gdf in zip(("precincts", "districts", "grids"), city, strict=True):
        shp = gdf.rename(columns={"precinct_code": "precinct", "auxiliaries": "auxiliary"})
        shp.to_file(out / f"{name}.shp", driver="ESRI Shapefile", encoding="UTF-8")
        written.append(out / f"{name}.shp")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.city", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="directory for city.gpkg and the Shapefiles")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precincts", type=int, default=50)
    parser.add_argument("--districts", type=int, default=1000)
    parser.add_argument("--grids", type=int, default=20000)
    args = parser.parse_args(argv)
    city = make_city(args.seed, args.precincts, args.districts, args.grids)
    print(city_path(args.seed, args.precincts, args.districts, args.grids))
    if args.out:
        for path in write_city(city, args.out):
            print(path)


if __name__ == "__main__":
    main()
