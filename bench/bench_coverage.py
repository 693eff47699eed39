"""Patrol import and coverage at city scale, next to a straightforward geopandas baseline in the same run.

1,000,000 synthetic fixes (1,000 units, a fix every 30 s, foot/bike/car patrols wandering around their beats, with
signal gaps and GPS jumps) over the 20,000-grid synthetic city of :mod:`bench.city`, in a throwaway database on the
embedded cluster. Each measured step runs in its own process so that its peak memory (RSS) is its own:

* ``import``: ``import_points(…, "patrols", CSV)`` — read, clean, COPY, commit;
* ``coverage``: ``coverage_document`` for the whole city and the one-day window (grids and fixes read from
  PostGIS, scanline raster in UTM), first call in a fresh process (cold) and again (warm);
* ``baseline``: the same figures the straightforward geopandas way — ``read_postgis``, segments and lone fixes as
  shapely geometries, ``buffer(100)``, ``overlay(grids, buffers, how="intersection")``, dissolve by grid, area.

Run: ``python -m bench.bench_coverage [--fixes 1000000] [--no-baseline]``; prints a table.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyproj

from bench.city import UTM, make_city

DAY = ("2026-11-01T00:00:00+08:00", "2026-11-02T00:00:00+08:00")
RADIUS = 100.0


def synthetic_fixes(n: int, seed: int = 0, units: int = 1000) -> pd.DataFrame:
    """``n`` fixes of ``units`` patrol units on 2026-11-01 (Beijing), a fix every 30 s, around the city centre."""
    rng = np.random.default_rng(seed)
    _, _, grids = make_city()
    per = n // units
    centres = grids.geometry.to_crs(UTM).representative_point().sample(units, random_state=seed)
    home = np.column_stack([centres.x, centres.y])
    speed = rng.choice([1.4, 4.0, 8.0], size=units, p=[0.4, 0.3, 0.3])
    heading = rng.uniform(0, 2 * np.pi, units)[:, None] + np.cumsum(rng.normal(0, 0.35, (units, per)), axis=1)
    step = speed[:, None, None] * 30.0 * np.stack([np.cos(heading), np.sin(heading)], axis=-1)
    xy = home[:, None, :] + np.cumsum(step, axis=1)
    beat = 2000.0  # units stay within ±2 km of home: fold the walk back into the box
    rel = np.mod(xy - home[:, None, :] + beat, 4 * beat)
    xy = home[:, None, :] - beat + np.where(rel > 2 * beat, 4 * beat - rel, rel)
    jumps = rng.random((units, per)) < 0.001
    xy[jumps] += rng.normal(0, 1500, (int(jumps.sum()), 2))
    lost = rng.random((units, per)) < 0.002  # signal lost for 6–30 minutes: no fixes meanwhile
    pause = np.where(lost, rng.integers(360, 1800, (units, per)), 0)
    offset = (np.arange(per) * 30)[None, :] + np.cumsum(pause, axis=1)
    start = np.datetime64("2026-11-01T06:00:00") + rng.integers(0, 6 * 3600, units).astype("timedelta64[s]")
    times = start[:, None] + offset.astype("timedelta64[s]")
    lon, lat = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True).transform(xy[..., 0].ravel(), xy[..., 1].ravel())
    unit = np.repeat(np.array([f"巡逻{u:04d}" for u in range(units)]), per)
    stamp = np.char.add(np.datetime_as_string(times.ravel(), unit="s"), "+08:00")
    return pd.DataFrame({"unit": unit, "time": stamp, "lon": np.round(lon, 7), "lat": np.round(lat, 7)})


# --- steps, each run in a fresh process ------------------------------------------------------------------------


def _session(url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    return Session(create_engine(url))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def step_import(url: str, csv: str) -> dict[str, Any]:
    from api.services.options import ImportOptions
    from api.services.points import import_points

    with _session(url) as session:
        t0 = time.perf_counter()
        doc = import_points(session, "patrols", Path(csv), ImportOptions(user="bench"))
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": _peak_mb(), "fixes": doc["counts"]["features"]}


def step_coverage(url: str, repeat: int = 2) -> dict[str, Any]:
    from api.services.coverage import coverage_document
    from geo.times import parse_instant

    start, end = parse_instant(DAY[0]), parse_instant(DAY[1])
    assert start is not None and end is not None
    times = []
    with _session(url) as session:
        for _ in range(repeat):
            t0 = time.perf_counter()
            doc = coverage_document(session, start, end, radius=RADIUS)
            times.append(time.perf_counter() - t0)
    shares = np.array([g["coverage"] for g in doc["grids"]])
    return {"seconds": times[0], "warm": min(times[1:] or times), "peak_mb": _peak_mb(), "fixes": doc["fixes"],
            "shares": shares, "codes": [g["code"] for g in doc["grids"]]}  # fmt: skip


def baseline_shares(grids: Any, fixes: Any) -> pd.Series:
    """Coverage the straightforward geopandas way: buffer every piece, overlay with the grids, dissolve, area."""
    import geopandas as gpd
    import shapely

    fixes = fixes.sort_values(["unit", "ts"]).to_crs(UTM).reset_index(drop=True)
    grids = grids.to_crs(UTM)
    xy = shapely.get_coordinates(fixes.geometry.values)
    t = (fixes["ts"] - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
    unit = fixes["unit"].to_numpy()
    link = (unit[1:] == unit[:-1]) & (np.diff(t) <= 300) & (np.hypot(*np.diff(xy, axis=0).T) <= 1000)
    i = np.flatnonzero(link)
    used = np.zeros(len(fixes), bool)
    used[i] = used[i + 1] = True
    pieces = np.concatenate([shapely.linestrings(np.stack([xy[i], xy[i + 1]], axis=1)), fixes.geometry.values[~used]])
    buffers = gpd.GeoDataFrame(geometry=gpd.GeoSeries(pieces, crs=UTM).buffer(RADIUS))
    cut = gpd.overlay(grids[["code", grids.geometry.name]], buffers, how="intersection", keep_geom_type=True)
    covered = cut.dissolve("code").area
    return (covered / grids.set_index("code").area).reindex(grids["code"]).fillna(0.0)


def step_baseline(url: str) -> dict[str, Any]:
    import geopandas as gpd
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    t0 = time.perf_counter()
    grids = gpd.read_postgis(text("SELECT code, geom FROM grid WHERE valid_to IS NULL ORDER BY code"), engine)
    fixes = gpd.read_postgis(
        text("SELECT unit, ts, geom FROM patrol_fix WHERE ts >= :a AND ts < :b"),
        engine,
        params={"a": DAY[0], "b": DAY[1]},
    )
    shares = baseline_shares(grids, fixes)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": _peak_mb(), "fixes": len(fixes), "shares": shares.to_numpy(),
            "codes": list(shares.index)}  # fmt: skip


def _in_process(func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(func, args)


# --- the run ---------------------------------------------------------------------------------------------------


def _database() -> tuple[Any, str]:
    import os

    from sqlalchemy import create_engine

    from api.cluster import Cluster
    from api.db import ensure_database, ensure_postgis, upgrade

    home = Path(os.environ.get("JINGWANG_HOME") or Path(__file__).resolve().parents[1] / ".jingwang")
    cluster = Cluster(home.resolve())
    cluster.start()
    name = f"jingwang_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(cluster.url(), name)
    with create_engine(cluster.url(name)).begin() as conn:
        ensure_postgis(conn)
        upgrade(conn)
    return cluster, name


def _load_city(url: str) -> int:
    from bench.common import store_city

    city = make_city()
    with _session(url) as session:
        store_city(session, city)
    return len(city[2])


def _drop(cluster: Any, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _row(name: str, result: dict[str, Any], target: str) -> str:
    return f"{name:<28}{result['seconds']:>10.2f}{result['peak_mb']:>12.0f}   {target}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixes", type=int, default=1_000_000)
    parser.add_argument("--no-baseline", action="store_true", help="Skip the (slow) geopandas baseline.")
    args = parser.parse_args(argv)
    cluster, name = _database()
    try:
        url = cluster.url(name)
        n_grids = _load_city(url)
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "patrols.csv"
            synthetic_fixes(args.fixes).to_csv(csv, index=False)
            imported = _in_process(step_import, url, str(csv))
        ours = _in_process(step_coverage, url)
        base = None if args.no_baseline else _in_process(step_baseline, url)
    finally:
        _drop(cluster, name)
    print(f"\n{imported['fixes']:,} fixes, {n_grids:,} grids, one-day window, radius {RADIUS:g} m")
    print(f"{'step':<28}{'seconds':>10}{'peak MB':>12}   target")
    print(_row("import patrols (COPY)", imported, "≤ 20 s, ≤ 1024 MB"))
    print(_row("coverage, cold process", ours, "≤ 10 s, ≤ 1024 MB"))
    print(f"{'coverage, warm':<28}{ours['warm']:>10.2f}{'':>12}")
    if base is not None:
        print(_row("baseline geopandas", base, ""))
        diff = np.abs(np.asarray(ours["shares"]) - np.asarray(base["shares"]))
        assert ours["codes"] == base["codes"]
        print(f"speed-up (cold): {base['seconds'] / ours['seconds']:.1f}×   (target ≥ 3×)")
        print(f"coverage vs baseline: mean |Δ| {diff.mean() * 100:.3f} pp, max |Δ| {diff.max() * 100:.3f} pp")


if __name__ == "__main__":
    main()
