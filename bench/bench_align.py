"""Alignment engine on the synthetic city, side by side with ``geopandas.overlay`` in the same run.

    python -m bench.bench_align [--grids 20000 --districts 1000 --precincts 50 --seed 0 --moves 20 --repeat 1]
                                [--no-api]

Each step runs in a forked child process, so its peak memory (``ru_maxrss`` of the child: the loaded city
plus what the step allocates, GEOS included) is its own. The compiled area kernels are loaded once in the
parent first, as a running server has them after its first request. With ``--repeat n`` every step (the baseline too)
runs n times and the fastest run counts — for machines shared with other jobs. Last, unless ``--no-api``, the
city is stored in a fresh database and ``GET /api/alignment`` of the whole city is timed through the Flask app
(an admin's API token; the first request with an empty alignment cache, then a second one served from it). Not
a test: it prints a table.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import secrets
import time
import warnings
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np

from bench.city import make_city
from geo.align import align, compute
from geo.moves import delta, move
from geo.pairarea import warm_up
from geo.proposal import propose
from geo.workload import workload

__all__ = ["main", "run"]

City = tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]


def _overlay(city: City) -> Any:
    _, districts, grids = city
    with warnings.catch_warnings():  # "keep_geom_type=True ... dropped geometries": expected here
        warnings.simplefilter("ignore", UserWarning)
        return gpd.overlay(grids[["code", "geometry"]], districts[["code", "geometry"]], how="intersection")


def _shares(city: City) -> Any:
    _, districts, grids = city
    return compute(grids, districts, findings=False)


def _align(city: City) -> Any:
    precincts, districts, grids = city
    return align(grids, districts, precincts)


def _propose(city: City) -> Any:
    precincts, districts, grids = city
    return propose(grids, districts, compute(grids, districts, precincts, findings=False))


def _workload(city: City) -> Any:
    precincts, districts, grids = city
    return workload(grids, districts, precincts)


def _moves(city: City, n: int) -> dict[str, float]:
    """Mean and worst time of ``n`` moves (a split grid into its second district) plus their deltas."""
    precincts, districts, grids = city
    state = compute(grids, districts, precincts)
    split = np.flatnonzero(state.status == "split")[:n]
    times = []
    for k in split:
        target = state.districts.codes[state.pairs.district[state.pairs.grid == k][-1]]
        start = time.perf_counter()
        delta(move(state, str(state.grids.codes[k]), str(target)))
        times.append(time.perf_counter() - start)
    return {"mean": float(np.mean(times)), "max": float(np.max(times)), "n": float(len(times))}


def _child(step: Callable[[City], Any], city: City, out: Any) -> None:
    start = time.perf_counter()
    result = step(city)
    seconds = time.perf_counter() - start
    extra = result if isinstance(result, dict) and "mean" in result else None
    out.send((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, extra))


def _measure(step: Callable[[City], Any], city: City) -> tuple[float, float, Any]:
    ctx = mp.get_context("fork")
    here, there = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(step, city, there))
    proc.start()
    result = here.recv()
    proc.join()
    return result


def _best(step: Callable[[City], Any], city: City, repeat: int) -> tuple[float, float, Any]:
    """The fastest of ``repeat`` runs (each in its own child), with the largest peak memory seen."""
    runs = [_measure(step, city) for _ in range(max(1, repeat))]
    fastest = min(runs, key=lambda r: r[0])
    return fastest[0], max(r[1] for r in runs), fastest[2]


def _api(city: City, repeat: int) -> list[tuple[str, float]]:
    """Seconds of ``GET /api/alignment`` (whole city): the fastest cold request of ``repeat``, then a cached one."""
    from sqlalchemy.orm import Session

    from api import create_app
    from api.auth import users
    from bench.common import fresh_database, store_city

    with fresh_database("align") as engine:
        with Session(engine) as session:
            store_city(session, city)
            users.add_user(session, "bench", "admin")
            token = users.new_token(session, "bench")
            session.commit()
        url = engine.url.render_as_string(hide_password=False)
        headers = {"Authorization": f"Bearer {token}"}
        cold, key = [], secrets.token_hex(32)
        for _ in range(repeat):
            app = create_app({"DATABASE_URL": url, "SECRET_KEY": key, "TILE_CACHE_DIR": None, "TILE_SEED_ZOOM": -1})
            client = app.test_client()
            start = time.perf_counter()
            response = client.get("/api/alignment", headers=headers)
            cold.append(time.perf_counter() - start)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
        start = time.perf_counter()
        assert client.get("/api/alignment", headers=headers).status_code == 200
        cached = time.perf_counter() - start
    return [(f"GET /api/alignment, whole city ({len(response.get_data()) / 1e6:.0f} MB JSON)", min(cold)),
            ("GET /api/alignment again (alignment cache)", cached)]  # fmt: skip


def run(
    seed: int, precincts: int, districts: int, grids: int, moves: int, repeat: int = 1, api: bool = True
) -> list[tuple[str, float, float, str]]:
    warm_up()
    start = time.perf_counter()
    city = make_city(seed, precincts, districts, grids)
    rows = [("load city (cached GeoPackage)", time.perf_counter() - start, _rss(), "")]
    base, base_mem, _ = _best(_overlay, city, repeat)
    rows.append(("geopandas.overlay(grids, districts) — baseline", base, base_mem, "1.0×"))
    for label, step in [
        ("shares: compute(grids, districts, findings=False)", _shares),
        ("align(grids, districts, precincts) → document", _align),
        ("propose (shares + snap proposal)", _propose),
        ("workload (shares + balance)", _workload),
    ]:
        seconds, mem, _ = _best(step, city, repeat)
        rows.append((label, seconds, mem, f"{base / seconds:.1f}×"))
    _, mem, stats = _measure(lambda c: _moves(c, moves), city)
    rows.append((f"move + delta, mean of {int(stats['n'])} (max {stats['max'] * 1000:.0f} ms)", stats["mean"], mem, ""))
    if api:
        for label, seconds in _api(city, repeat):
            rows.append((label, seconds, _rss(), f"{base / seconds:.1f}×"))
    return rows


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_align", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precincts", type=int, default=50)
    parser.add_argument("--districts", type=int, default=1000)
    parser.add_argument("--grids", type=int, default=20000)
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="run each step this often; report the fastest")
    parser.add_argument("--no-api", dest="api", action="store_false", help="skip GET /api/alignment")
    args = parser.parse_args(argv)
    rows = run(args.seed, args.precincts, args.districts, args.grids, args.moves, args.repeat, args.api)
    print(f"synthetic city: {args.precincts} precincts, {args.districts} districts, {args.grids} grids")
    print(f"{'what':<58} {'seconds':>9} {'peak MB':>9} {'vs overlay':>11}")
    for what, seconds, mem, speed in rows:
        print(f"{what:<58} {seconds:>9.3f} {mem:>9.0f} {speed:>11}")


if __name__ == "__main__":
    main()
