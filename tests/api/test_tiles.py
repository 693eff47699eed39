"""Vector tiles decoded from their real bytes; never stale after a new version of the layer."""

from __future__ import annotations

import math

import geopandas as gpd
import mapbox_vector_tile
import shapely

from api.layers import LAYERS
from api.services.boundaries import ImportMeta, write_version
from api.services.store import load_layer


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data)


def test_grid_tile_holds_the_grids_it_covers(demo_client, demo_session):
    grids = load_layer(demo_session, "grids")
    x, y = _tile_of(114.78, 37.75, 12)
    response = demo_client.get(f"/tiles/grids/12/{x}/{y}.pbf")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    layer = _decode(response.data)["grids"]
    codes = {f["properties"]["code"] for f in layer["features"]}
    # the tile's lon/lat box, to compare with the grids the store holds
    n = 2**12
    west, east = x / n * 360 - 180, (x + 1) / n * 360 - 180
    north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))))
    inside = grids[grids.intersects(shapely.box(west, south, east, north))]
    assert codes and set(inside["code"]) <= codes
    props = layer["features"][0]["properties"]
    assert {"code", "name", "district_code", "precinct_code"} <= set(props)


def test_tile_etag_and_versioned_caching(demo_client):
    url = "/tiles/precincts/9/420/197.pbf"
    first = demo_client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = demo_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    version = etag.strip('"').split("-")[1]
    pinned = demo_client.get(f"{url}?v={version}")
    assert "immutable" in pinned.headers["Cache-Control"]


def test_tiles_change_with_a_new_version(demo_client, demo_session):
    x, y = _tile_of(114.8, 37.75, 10)
    url = f"/tiles/precincts/10/{x}/{y}.pbf"
    before = demo_client.get(url)
    names = {f["properties"]["name"] for f in _decode(before.data)["precincts"]["features"]}
    assert names
    frame = load_layer(demo_session, "precincts")
    frame["name"] = frame["name"] + "（新）"
    write_version(demo_session, LAYERS["precincts"], gpd.GeoDataFrame(frame), ImportMeta(file_name="t"))
    demo_session.commit()
    after = demo_client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    renamed = {f["properties"]["name"] for f in _decode(after.data)["precincts"]["features"]}
    assert renamed == {n + "（新）" for n in names}


def test_empty_and_bad_tiles(demo_client):
    empty = demo_client.get("/tiles/grids/12/0/0.pbf")
    assert empty.status_code == 200 and empty.data == b""
    assert demo_client.get("/tiles/grids/3/9/0.pbf").status_code == 400
    assert demo_client.get("/tiles/people/3/1/1.pbf").status_code == 404


def test_disk_cache_is_shared_and_drops_old_versions(tmp_path):
    from api.services.tiles import TileCache

    one, other = TileCache(folder=tmp_path), TileCache(folder=tmp_path)  # two server workers
    one.put(("grids", 7, 12, 1, 2), b"old")
    assert other.get(("grids", 7, 12, 1, 2)) == b"old"
    one.put(("grids", 8, 12, 1, 2), b"new")
    assert other.get(("grids", 8, 12, 1, 2)) == b"new"
    later = TileCache(folder=tmp_path)  # a worker started after the new version
    assert later.get(("grids", 7, 12, 1, 2)) is None  # version 7 can never be asked for again: gone from disk
    assert not (tmp_path / "grids" / "7").exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_versioned_request_is_served_from_the_cache(demo_app, demo_session, tmp_path):
    demo_app.config["TILE_CACHE_DIR"] = str(tmp_path)
    client = demo_app.test_client()
    x, y = _tile_of(114.8, 37.75, 11)
    first = client.get(f"/tiles/grids/11/{x}/{y}.pbf")
    version = first.headers["ETag"].strip('"').split("-")[1]
    cached = list(tmp_path.rglob("*.pbf"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.data
    again = client.get(f"/tiles/grids/11/{x}/{y}.pbf?v={version}")
    assert again.data == first.data and "immutable" in again.headers["Cache-Control"]


def test_seeding_renders_every_dense_tile_once(demo_session, tmp_path):
    from api.services.tiles import TileCache, get_tile
    from api.services.tileseed import seed, tiles_over

    cache = TileCache(folder=tmp_path)
    done = seed(demo_session, cache, "grids", max_zoom=11)
    x0, y0, x1, y1 = load_layer(demo_session, "grids").to_crs(3857).total_bounds
    per_level = [len(list(tiles_over((x0, y0, x1, y1), z))) for z in range(15)]
    assert done == (sum(per_level[:12]), 11) and done.rendered == len(list(tmp_path.rglob("*.pbf")))
    assert seed(demo_session, cache, "grids", max_zoom=11).rendered == 0  # nothing left to render
    # A level that would pass the tile budget is left whole to render on request.
    budget = sum(per_level[:14]) - 1
    assert seed(demo_session, TileCache(), "grids", max_zoom=14, max_tiles=budget) == (sum(per_level[:13]), 12)
    # A seeded tile is the very tile a request would render, and it holds grids.
    x, y = _tile_of(114.8, 37.75, 11)
    seeded = cache.get(("grids", get_tile(demo_session, cache, "grids", 11, x, y).version, 11, x, y))
    fresh = get_tile(demo_session, TileCache(), "grids", 11, x, y)
    assert seeded == fresh.data and len(_decode(seeded)["grids"]["features"]) > 10


def test_first_request_of_a_version_seeds_in_the_background(demo_app, tmp_path):
    demo_app.config.update(TILE_CACHE_DIR=str(tmp_path), TILE_SEED_ZOOM=10)
    x, y = _tile_of(114.8, 37.75, 14)
    first = demo_app.test_client().get(f"/tiles/grids/14/{x}/{y}.pbf")
    version = first.headers["ETag"].strip('"').split("-")[1]
    seeders = demo_app.extensions["jingwang"]["seeders"]
    assert len(seeders) == 1
    seeders[0].join(60)
    assert (
        (tmp_path / "grids" / version / ".seeded")
        .read_text()
        .startswith(f"{len(list(tmp_path.rglob('*.pbf'))) - 1} tiles")
    )
    zooms = {int(p.relative_to(tmp_path / "grids" / version).parts[0]) for p in tmp_path.rglob("*.pbf")}
    assert zooms == set(range(11)) | {14}
    # Another worker sharing the folder meets the same version: it does not seed again.
    other = demo_app.test_client()
    demo_app.extensions["jingwang"].pop("tiles")
    other.get(f"/tiles/grids/14/{x}/{y}.pbf")
    assert len(seeders) == 1
