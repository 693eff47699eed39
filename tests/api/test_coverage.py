"""Patrol imports and coverage on PostGIS: the real GeoLife tracks against a 1 km grid, checked against an
independent shapely computation of the DESIGN.md definition; the CLI and HTTP documents; the demo city."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from sqlalchemy import text

from tests.api.ops import REAL, OpsRunner, load, small_city, with_ops, write_layer

GEOLIFE = REAL / "beijing_geolife" / "demodata_geolife.gpkg"
WINDOW = ("2008-12-01T00:00:00+08:00", "2009-07-01T00:00:00+08:00")
UTM50 = 32650


def _km_grid(session) -> gpd.GeoDataFrame:
    """A regular 1 km grid (UTM 50N) laid over the tracks' extent, stored as the grid layer."""
    fixes = gpd.read_file(GEOLIFE).to_crs(UTM50)
    x0, y0, x1, y1 = np.floor(fixes.total_bounds / 1000) * 1000 + np.array([-1000, -1000, 2000, 2000])
    cells = [shapely.box(x, y, x + 1000, y + 1000) for y in np.arange(y0, y1, 1000) for x in np.arange(x0, x1, 1000)]
    grid = gpd.GeoDataFrame(geometry=cells, crs=UTM50).to_crs(4326)
    grid["code"] = [f"K{i:04d}" for i in range(len(grid))]
    grid["name"] = grid["code"]
    grid["district_code"] = ["D" + c[1:3] for c in grid["code"]]
    grid["precinct_code"] = "P"
    write_layer(session, "grids", grid[["code", "name", "district_code", "precinct_code", "geometry"]])
    session.commit()
    return grid


def _independent(grid: gpd.GeoDataFrame, radius: float = 100.0) -> dict[str, float]:
    """The definition written with geopandas: per trajectory, link fixes ≤ 5 min and ≤ 1 km apart into lines,
    buffer lines and lone fixes, union, intersect each grid (all in UTM 50N)."""
    fixes = gpd.read_file(GEOLIFE)
    fixes["ts"] = fixes["t"].map(lambda v: np.datetime64(v.replace("+00", ""), "s").astype(np.int64))
    fixes = fixes.sort_values(["trajectory_id", "ts"]).to_crs(UTM50).reset_index(drop=True)
    xy = shapely.get_coordinates(fixes.geometry.values)
    pieces, linked = [], set()
    for i in range(len(fixes) - 1):
        same = fixes["trajectory_id"].iat[i] == fixes["trajectory_id"].iat[i + 1]
        close = fixes["ts"].iat[i + 1] - fixes["ts"].iat[i] <= 300 and np.hypot(*(xy[i + 1] - xy[i])) <= 1000
        if same and close:
            pieces.append(shapely.LineString([xy[i], xy[i + 1]]))
            linked |= {i, i + 1}
    pieces += [shapely.Point(xy[i]) for i in range(len(fixes)) if i not in linked]
    covered = shapely.union_all(shapely.buffer(np.asarray(pieces, dtype=object), radius, quad_segs=64))
    fwd = pyproj.Transformer.from_crs(4326, UTM50, always_xy=True)
    cells = shapely.transform(grid.geometry.values, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    shares = shapely.area(shapely.intersection(cells, covered)) / shapely.area(cells)
    return dict(zip(grid["code"], shares, strict=True))


def test_geolife_tracks_import_with_copy_and_cover_grids_like_shapely(session):
    grid = _km_grid(session)
    doc = load(session, "patrols", GEOLIFE)
    assert doc["counts"]["features"] == 5908 and doc["counts"]["units"] == 5
    assert doc["fields"]["unit"] == "trajectory_id"
    assert session.scalar(text("SELECT count(DISTINCT unit) FROM patrol_fix")) == 5
    assert session.scalar(text("SELECT min(ts) FROM patrol_fix")).isoformat() == "2008-12-11T04:42:14+00:00"

    from api.services.coverage import coverage_document
    from geo.times import parse_instant

    got = coverage_document(session, parse_instant(WINDOW[0]), parse_instant(WINDOW[1]), radius=100.0)
    assert got["fixes"] == 5908 and len(got["grids"]) == len(grid)
    expected = _independent(grid)
    diff = {g["code"]: abs(g["coverage"] - expected[g["code"]]) for g in got["grids"]}
    worst = max(diff.values())
    assert worst < 0.01, f"worst grid differs by {worst:.4%}"
    covered = [g for g in got["grids"] if g["coverage"] > 0]
    assert 20 < len(covered) < len(grid)  # a real test: many grids touched, many not
    assert sum(g["fixes"] for g in got["grids"]) == 5908
    patrolled = [g for g in got["grids"] if g["fixes"]]
    assert all(g["last_patrol_at"] and g["minutes"] > 0 for g in patrolled)


def test_coverage_command_and_endpoint_give_the_same_document(app, session, tmp_path):
    small_city(session)
    csv = (
        "unit,time,lon,lat\n"
        "车1,2026-11-01 08:00:00,114.762,37.745\n"
        "车1,2026-11-01 08:01:00,114.768,37.745\n"
        "车1,2026-11-01 08:02:00,114.775,37.745\n"
        "车1,2026-11-01 09:30:00,114.775,37.755\n"
    )
    (tmp_path / "patrol.csv").write_text(csv, encoding="utf-8")
    load(session, "patrols", tmp_path / "patrol.csv")
    runner = OpsRunner(app)
    args = ["coverage", "--from", "2026-11-01T00:00", "--to", "2026-11-02T00:00", "--idle-hours", "1", "--json"]
    doc = runner.json(*args)
    assert doc["from"] == "2026-11-01T00:00:00+08:00" and doc["radius_m"] == 100.0
    assert [g["code"] for g in doc["grids"]] == ["G01", "G02", "G03", "G04"]
    by_code = {g["code"]: g for g in doc["grids"]}
    assert by_code["G01"]["fixes"] == 2 and by_code["G01"]["last_patrol_at"] == "2026-11-01T08:01:00+08:00"
    assert by_code["G04"]["fixes"] == 1 and by_code["G04"]["minutes"] == 0  # 88 minutes later: alone
    assert by_code["G01"]["minutes"] == pytest.approx(1.5)
    assert by_code["G03"]["coverage"] == 0 and by_code["G01"]["coverage"] > by_code["G04"]["coverage"] > 0
    assert [d["code"] for d in doc["districts"]] == ["D1", "D2"]
    west = doc["districts"][0]
    area = by_code["G01"]["area_m2"] + by_code["G03"]["area_m2"]
    weighted = sum(by_code[c]["coverage"] * by_code[c]["area_m2"] for c in ("G01", "G03")) / area
    assert west["coverage"] == pytest.approx(weighted, abs=1e-4)
    assert west["min_coverage"] == 0 and west["grids"] == 2 and west["grids_not_patrolled"] == 1
    assert doc["precincts"][0]["code"] == "P1" and doc["precincts"][0]["name"] == "城关派出所"
    # not patrolled in the last hour before 2026-11-02 00:00: all four
    assert {g["code"] for g in doc["idle_grids"]} == {"G01", "G02", "G03", "G04"}
    client = with_ops(app).test_client()
    query = "from=2026-11-01T00:00&to=2026-11-02T00:00&idle_hours=1"
    assert client.get(f"/api/coverage?{query}").get_json() == doc
    narrower = client.get("/api/coverage?from=2026-11-01T08:00&to=2026-11-01T08:01:30&radius=50").get_json()
    assert narrower["radius_m"] == 50.0 and narrower["fixes"] == 2
    assert client.get("/api/coverage?from=2026-11-02&to=2026-11-01").status_code == 400
    assert client.get("/api/coverage?from=yesterday").status_code == 400
    assert client.get("/api/coverage?precinct=NONE&from=2026-11-01&to=2026-11-02").get_json()["grids"] == []
    text_out = runner.invoke("coverage", "--from", "2026-11-01", "--to", "2026-11-02")
    assert text_out.exit_code == 0 and "P1" in text_out.stdout


def test_coverage_of_the_demo_city(demo_app, demo_session):
    day = demo_session.execute(text("SELECT min(ts), max(ts) FROM patrol_fix")).one()
    runner = OpsRunner(demo_app)
    doc = runner.json("coverage", "--from", day[0].isoformat(), "--to", (day[1]).isoformat(), "--json")
    grids = demo_session.scalar(text("SELECT count(*) FROM grid WHERE valid_to IS NULL"))
    assert len(doc["grids"]) == grids and len(doc["precincts"]) == 11
    assert 0 < np.mean([g["coverage"] for g in doc["grids"]]) < 1
    assert sum(p["grids"] for p in doc["precincts"]) <= grids
    one = runner.json("coverage", "--from", day[0].isoformat(), "--to", day[1].isoformat(), "--precinct",
                      "130133-01", "--json")  # fmt: skip
    assert {g["precinct"] for g in one["grids"]} == {"130133-01"}
    assert any(g["key_places"] for g in doc["grids"])


def _geolife_gpx(path) -> None:
    """The real GeoLife trajectories written as a GPX file, one named <trk> per trajectory (times in UTC)."""
    fixes = gpd.read_file(GEOLIFE).sort_values(["trajectory_id", "t"])
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">']
    for unit, track in fixes.groupby("trajectory_id"):
        parts.append(f"<trk><name>geolife-{unit}</name><trkseg>")
        for geom, t in zip(track.geometry, track["t"], strict=True):
            when = t.replace(" ", "T").replace("+00", "Z")
            parts.append(f'<trkpt lat="{geom.y}" lon="{geom.x}"><time>{when}</time></trkpt>')
        parts.append("</trkseg></trk>")
    path.write_text("\n".join([*parts, "</gpx>"]), encoding="utf-8")


def test_geolife_as_gpx_gives_the_same_coverage(session, tmp_path):
    grid = _km_grid(session)
    _geolife_gpx(tmp_path / "geolife.gpx")
    doc = load(session, "patrols", tmp_path / "geolife.gpx")
    assert doc["counts"]["features"] == 5908 and doc["fields"]["unit"] == "trk/name"
    units = set(session.scalars(text("SELECT DISTINCT unit FROM patrol_fix")))
    assert units == {f"geolife-{i}" for i in range(1, 6)}

    from api.services.coverage import coverage_document
    from geo.times import parse_instant

    got = coverage_document(session, parse_instant(WINDOW[0]), parse_instant(WINDOW[1]))
    expected = _independent(grid)
    assert max(abs(g["coverage"] - expected[g["code"]]) for g in got["grids"]) < 0.01


def test_a_far_outlier_still_separates_its_neighbours(session, tmp_path):
    """Fixes outside the grids' box are read too (per unit): A and C stay apart because B lies between them."""
    small_city(session)
    csv = (
        "unit,time,lon,lat\n"
        "A,2026-11-01 08:00:00,114.762,37.745\n"
        "A,2026-11-01 08:00:30,115.500,38.500\n"  # a GPS jump 100 km away
        "A,2026-11-01 08:01:00,114.768,37.745\n"
    )
    (tmp_path / "jump.csv").write_text(csv, encoding="utf-8")
    load(session, "patrols", tmp_path / "jump.csv")
    from api.services.coverage import coverage_document
    from geo.times import parse_instant

    doc = coverage_document(session, parse_instant("2026-11-01"), parse_instant("2026-11-02"))
    g01 = next(g for g in doc["grids"] if g["code"] == "G01")
    assert doc["fixes"] == 3 and g01["minutes"] == 0  # no segment joins A's first and last fix
    area = 2 * np.pi * 100**2  # two lone discs, each wholly inside G01 (~880 m × 1110 m)
    assert g01["coverage"] == pytest.approx(area / g01["area_m2"], rel=0.01)


def test_patrol_replace_covers_the_files_units_and_span(session, tmp_path):
    day1 = tmp_path / "d1" / "轨迹.csv"
    day2 = tmp_path / "d2" / "轨迹.csv"
    for path, day in ((day1, "01"), (day2, "02")):
        path.parent.mkdir()
        path.write_text(
            f"unit,time,lon,lat\nA,2026-11-{day} 08:00,114.76,37.74\nA,2026-11-{day} 08:01,114.761,37.74\n",
            encoding="utf-8",
        )
    load(session, "patrols", day1)
    load(session, "patrols", day2)  # same file name, another day: both kept
    assert session.scalar(text("SELECT count(*) FROM patrol_fix")) == 4
    doc = load(session, "patrols", day2)  # the same day again: replaced, not doubled
    assert doc["counts"]["replaced"] == 2
    assert session.scalar(text("SELECT count(*) FROM patrol_fix")) == 4
    load(session, "patrols", day2, mode="append")
    assert session.scalar(text("SELECT count(*) FROM patrol_fix")) == 6
