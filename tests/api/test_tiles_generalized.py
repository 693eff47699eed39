"""Tiles at low zoom read the pre-generalized geometry PostgreSQL keeps, and still carry every feature."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import text

from api.db import downgrade, upgrade
from api.layers import LAYERS
from api.services import tiles
from api.services.tileseed import tiles_over

# The tile as it was rendered before the overviews and the explicit clip: ST_AsMVTGeom of the geometry simplified
# at request time. The reference the tiles are held to.
REFERENCE = """
    WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env),
    features AS (
        SELECT ST_AsMVTGeom(ST_Simplify(t.geom_3857, :tol, true), bounds.env, 4096, 64, true) AS geom, {props}
        FROM {table} t, bounds
        WHERE t.valid_to IS NULL AND t.geom_3857 && ST_Expand(bounds.env, :margin)
    )
    SELECT ST_AsMVT(features.*, :name, 4096, 'geom') FROM features WHERE geom IS NOT NULL
"""


def _reference(session, layer_name: str, z: int, x: int, y: int) -> bytes:
    layer = LAYERS[layer_name]
    props = ", ".join(f"t.{c}" for c in ("code", "name", *tiles.TILE_PROPERTIES[layer_name]))
    tile_m = tiles._WORLD / 2**z
    params = {"z": z, "x": x, "y": y, "name": layer_name, "tol": tile_m / 1024, "margin": tile_m * 64 / 4096}
    sql = REFERENCE.format(props=props, table=layer.table)
    return bytes(session.scalar(text(sql), params) or b"")


def _features(data: bytes, layer_name: str) -> dict[str, dict]:
    decoded = mapbox_vector_tile.decode(data) if data else {}
    return {f["properties"]["code"]: f for f in decoded.get(layer_name, {}).get("features", [])}


def _exteriors_ccw(geometry: dict) -> set[bool]:
    """Whether each exterior ring, as decoded, runs counter-clockwise. The MVT spec fixes the winding of exterior
    rings (a decoder reads a ring the other way round as a hole): the tile's must be the reference's."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return {shapely.LinearRing(rings[0]).is_ccw for rings in polygons}


def _bounds(session, layer_name: str) -> tuple[float, float, float, float]:
    table = LAYERS[layer_name].table
    row = session.execute(
        text(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom_3857) e FROM {table}"
            " WHERE valid_to IS NULL) s"
        )
    ).one()
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


def test_overviews_hold_the_request_time_simplification(demo_session):
    """Each overview is the geometry simplified by exactly its zoom's tolerance: what a tile used to compute."""
    for table in ("precinct", "district", "grid"):
        for z, column in tiles.OVERVIEWS.items():
            differ, total = demo_session.execute(
                text(
                    f"SELECT count(*) FILTER (WHERE {column} IS NULL OR ST_AsEWKB({column})"
                    f" <> ST_AsEWKB(ST_Simplify(geom_3857, :tol, true))), count(*) FROM {table}"
                ),
                {"tol": tiles._tolerance(z)},
            ).one()
            assert total > 0 and differ == 0, (table, column)


@pytest.mark.parametrize(
    ("z", "reads", "not_reads"),
    [
        (11, "st_simplify(t.geom_z12", "geom_3857, "),
        (12, "t.geom_z12", "st_simplify"),
        (13, "t.geom_z13", "st_simplify"),
        (14, "st_simplify(t.geom_3857", "geom_z1"),
    ],
)
def test_tiles_read_the_overview_of_their_zoom(demo_session, z, reads, not_reads):
    """What PostgreSQL computes per feature (EXPLAIN VERBOSE of the very statement a tile runs)."""
    statements = []

    class Recorder:
        def scalar(self, statement, params):
            statements.append((str(statement), params))
            return b""

    x0, y0, x1, y1 = _bounds(demo_session, "grids")
    x, y = next(iter(tiles_over(((x0 + x1) / 2, (y0 + y1) / 2, (x0 + x1) / 2, (y0 + y1) / 2), z)))
    tiles.render(Recorder(), LAYERS["grids"], z, x, y)  # type: ignore[arg-type]
    sql, params = statements[0]
    plan = "\n".join(demo_session.scalars(text("EXPLAIN (VERBOSE) " + sql), params)).lower()
    computed = next(line for line in plan.splitlines() if "st_clipbybox2d" in line)
    assert reads in computed and not_reads not in computed, computed


def test_low_zoom_tiles_carry_every_feature(demo_session):
    """Every feature the reference tile has is in the tile, with its properties and the same shape inside it."""
    checked = 0
    for layer_name in ("grids", "districts", "precincts"):
        bounds = _bounds(demo_session, layer_name)
        for z in (9, 11, 12, 13, 14):
            for x, y in list(tiles_over(bounds, z))[:12]:
                made = _features(tiles.render(demo_session, LAYERS[layer_name], z, x, y), layer_name)
                reference = _features(_reference(demo_session, layer_name, z, x, y), layer_name)
                assert set(reference) <= set(made), (layer_name, z, x, y, set(reference) - set(made))
                inside = shapely.box(0, 0, 4096, 4096)
                for code, want in reference.items():
                    got = made[code]
                    assert got["properties"] == want["properties"]
                    assert {"code", "name", *tiles.TILE_PROPERTIES[layer_name]} <= set(got["properties"])
                    # Rings oriented as the spec wants (else a decoder reads an exterior ring as a hole) and the
                    # same shape inside the tile: where the simplification is the same (zoom ≥ 12), to the unit
                    # (of 4096); above, both are within a quarter pixel (4 units) of the
                    # boundary, so within 8 of each other.
                    assert _exteriors_ccw(got["geometry"]) == _exteriors_ccw(want["geometry"])
                    a = shape(want["geometry"]).buffer(0).intersection(inside)
                    b = shape(got["geometry"]).buffer(0).intersection(inside)
                    if a.is_empty:
                        continue
                    near = 2.0 if z >= min(tiles.OVERVIEWS) else 9.0
                    assert a.hausdorff_distance(b) <= near, (layer_name, z, code, a.hausdorff_distance(b))
                    if z >= min(tiles.OVERVIEWS):  # at most a unit's strip along the boundary
                        assert abs(a.area - b.area) <= max(4.0, a.length), (layer_name, z, code, a.area, b.area)
                    checked += 1
    assert checked > 1000


def test_scoped_tiles_use_the_overviews_too(demo_session):
    """A precinct user's tile at zoom 12 holds that precinct's grids only, all of them."""
    x0, y0, x1, y1 = _bounds(demo_session, "grids")
    precinct = demo_session.scalar(text("SELECT precinct_code FROM grid WHERE valid_to IS NULL LIMIT 1"))
    everyone = shown = 0
    for x, y in tiles_over((x0, y0, x1, y1), 12):
        full = _features(tiles.render(demo_session, LAYERS["grids"], 12, x, y), "grids")
        scoped = _features(tiles.render(demo_session, LAYERS["grids"], 12, x, y, precinct=precinct), "grids")
        assert set(scoped) == {c for c, f in full.items() if f["properties"]["precinct_code"] == precinct}
        everyone, shown = everyone + len(full), shown + len(scoped)
    assert 0 < shown < everyone


def test_overviews_migrate_existing_rows_up_and_down(bare_engine):
    """Added to a database that already holds boundaries: computed for the rows there; removed on downgrade."""
    columns = (
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'grid' AND column_name LIKE 'geom_z%'"
    )
    with bare_engine.begin() as conn:
        upgrade(conn, "0004")
        conn.execute(
            text(
                "INSERT INTO grid (code, name, geom) SELECT 'G' || i, 'g', ST_Multi(ST_Buffer(ST_Point("
                "114.8 + i * 0.01, 37.8, 4326)::geography, 150, 64)::geometry) FROM generate_series(1, 5) i"
            )
        )
        upgrade(conn)
        assert set(conn.scalars(text(columns))) == {"geom_z12", "geom_z13"}
        simplified = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE ST_AsEWKB(geom_z12) = ST_AsEWKB(ST_Simplify(geom_3857, :t12, true))"
                " AND ST_AsEWKB(geom_z13) = ST_AsEWKB(ST_Simplify(geom_3857, :t13, true))"
                " AND ST_NPoints(geom_z12) < ST_NPoints(geom_3857)), count(*) FROM grid"
            ),
            {"t12": tiles._tolerance(12), "t13": tiles._tolerance(13)},
        ).one()
        assert simplified == (5, 5)
    with bare_engine.begin() as conn:
        downgrade(conn, "0004")
        assert set(conn.scalars(text(columns))) == set()
        assert conn.scalar(text("SELECT count(*) FROM grid")) == 5
        upgrade(conn)
        assert conn.scalar(text("SELECT count(*) FROM grid WHERE geom_z12 IS NOT NULL")) == 5
