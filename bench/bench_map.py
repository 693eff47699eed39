"""The web map at city scale: page load in headless Chromium and vector-tile throughput next to tipg.

    python -m bench.bench_map [--clients 8] [--zooms 12,13,14] [--workers 2] [--on-request-only]

The synthetic city (:func:`bench.city.make_city`: 50 precincts, 1,000 districts, 20,000 grids) is loaded into a
fresh database on the embedded cluster. Then, each server alone on the machine:

* **page**: jingwang (gunicorn, ``--workers`` gthread workers × 4 threads) serves the map; a cold Chromium opens
  it and we read the performance marks the page sets (first tile drawn, each boundary layer drawn) and the bytes
  of every response, tiles apart;
* **tiles**: ``--clients`` concurrent keep-alive clients fetch every grid tile of the city at ``--zooms`` twice —
  from jingwang (``/tiles/grids/…?v=``; the first pass fills its tile cache, the second is served from it) and
  from tipg (``pip install "tipg[server]"``, uvicorn with as many workers, the same ``grid`` table, the same
  properties; it has no tile cache). Targets: page ≤ 2 s to first tiles and ≤ 3 MB before tiles; ≥ 1.5× tipg's
  tiles per second and p99 ≤ 50 ms.

``--on-request-only`` skips the page and the render ahead: only every tile rendered on request, next to tipg.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.config import tile_cache_dir
from api.services.store import layer_version
from bench.city import make_city
from bench.common import ROOT, fresh_database, home, print_table, store_city

TIPG_PROPERTIES = "code,name,district_code,precinct_code,community,households,grid_worker"
# What a running server has been asked before the tiles: the page, and the health check a load balancer polls
# (it asks PostGIS its version, so every pooled connection has PostGIS loaded, as after any earlier request).
WARM_UP = ["/", "/healthz"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


def load_city(engine: Engine) -> tuple[float, float, float, float]:
    """Write the synthetic city as the current version of the three layers; return the grids' bounds."""
    city = make_city()
    with Session(engine) as session:
        store_city(session, city)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE precinct, district, grid"))
        conn.execute(text("CHECKPOINT"))  # the load's writes flushed now, not in the middle of a measured pass
    x0, y0, x1, y1 = (float(v) for v in city[2].total_bounds)
    return x0, y0, x1, y1


def tiles_covering(bounds: tuple[float, float, float, float], zooms: list[int]) -> list[tuple[int, int, int]]:
    def tile(lon: float, lat: float, z: int) -> tuple[int, int]:
        n = 2**z
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    out = []
    for z in zooms:
        (xa, ya), (xb, yb) = tile(bounds[0], bounds[3], z), tile(bounds[2], bounds[1], z)
        out += [(z, x, y) for x in range(xa, xb + 1) for y in range(ya, yb + 1)]
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(command: list[str], env: dict[str, str], probe: str) -> Iterator[None]:
    """Run a server until the block ends; wait for ``probe`` to answer first."""
    process = subprocess.Popen(
        command, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(probe, timeout=30) as response:  # noqa: S310 (127.0.0.1)
                    response.read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {' '.join(command)}") from None
                time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(20)


def hammer(port: int, paths: list[str], clients: int, headers: dict[str, str] | None = None) -> dict[str, float]:
    """Fetch every path once with ``clients`` keep-alive connections; throughput, latency, bytes."""
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    lock, cursor = threading.Lock(), iter(paths)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                path = next(cursor, None)
            if path is None:
                break
            start = time.perf_counter()
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                sizes.append(len(body))
                if response.status != 200:
                    errors.append(f"{response.status} {path}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} failed tile requests, e.g. {errors[:3]}")
    ordered = sorted(latencies)
    return {
        "tiles_per_s": len(paths) / wall,
        "p50_ms": 1000 * ordered[len(ordered) // 2],
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)],
        "mb": sum(sizes) / 2**20,
    }


def bench_token(engine: Engine) -> str:
    """An admin account's API token: the server answers nobody without one."""
    from api.auth import users

    with Session(engine) as session:
        name = f"bench-{uuid.uuid4().hex[:6]}"
        users.add_user(session, name, "admin")
        token = str(users.new_token(session, name))
        session.commit()
    return token


def page_load(url: str, headers: dict[str, str]) -> dict[str, float]:
    """Open the map in a cold Chromium; times from the navigation start and bytes by kind."""
    from playwright.sync_api import sync_playwright

    sizes = {"tiles": 0, "other": 0}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900}, extra_http_headers=headers)

        def finished(request: Any) -> None:
            s = request.sizes()
            kind = "tiles" if "/tiles/" in request.url else "other"
            sizes[kind] += s["responseBodySize"] + s["responseHeadersSize"]

        page.on("requestfinished", finished)
        page.goto(url)
        page.wait_for_function("() => performance.getEntriesByName('jw-districts-drawn').length > 0", timeout=120_000)
        page.wait_for_load_state("networkidle")
        marks = page.evaluate(
            "() => Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name, m.startTime]))"
        )
        dom = page.evaluate("() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
        zoom = page.evaluate("() => JW.app.map.getZoom()")
        browser.close()
    return {
        "zoom": zoom,
        "dom_ms": dom,
        "first_tile_ms": marks.get("jw-first-tile", float("nan")),
        "drawn_ms": max(v for k, v in marks.items() if k.endswith("-drawn")),
        "mb_before_tiles": sizes["other"] / 2**20,
        "mb_tiles": sizes["tiles"] / 2**20,
    }


def _ensure_tipg() -> None:
    try:
        import tipg  # noqa: F401
    except ImportError:
        print("installing tipg for the baseline (benchmark only): pip install 'tipg[server]'", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "tipg[server]"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--zooms", default="12,13,14")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--on-request-only", action="store_true", help="skip the page and the render ahead (no Chromium)"
    )
    args = parser.parse_args()
    _ensure_tipg()
    with fresh_database("map") as engine:
        started = time.perf_counter()
        bounds = load_city(engine)
        print(f"city loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        with Session(engine) as session:
            version = layer_version(session, "grids")
        tiles = tiles_covering(bounds, [int(z) for z in args.zooms.split(",")])
        url = engine.url
        socket_dir = str(url.query["host"])
        ours_env = {"JINGWANG_DATABASE_URL": url.render_as_string(hide_password=False),
                    "JINGWANG_SECRET_KEY": secrets.token_hex(32)}  # fmt: skip
        auth = {"Authorization": f"Bearer {bench_token(engine)}"}
        port = _free_port()
        ours_cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                    "--threads", "4", "--worker-class", "gthread", "--timeout", "300", "api:create_app()"]  # fmt: skip
        paths = [f"/tiles/grids/{z}/{x}/{y}.pbf?v={version}" for z, x, y in tiles]
        cache_dir = tile_cache_dir(home(), ours_env["JINGWANG_DATABASE_URL"])
        page: dict[str, float] | None = None
        seeded = ""
        ours: dict[str, dict[str, float]] = {}
        if not args.on_request_only:
            # As a user meets it: the first visit after the import starts the background render of the new versions.
            with serving(ours_cmd, ours_env, f"http://127.0.0.1:{port}/healthz"):
                warm_up(port, WARM_UP, auth, args.clients)
                page = page_load(f"http://127.0.0.1:{port}/", auth)
                # The page opens below the grids' zoom: the first user to zoom in meets the grid layer's version.
                hammer(port, paths[:1], 1, auth)
                seeded = wait_seeded(cache_dir / "grids" / str(version) / ".seeded")
                ours["seeded"] = hammer(port, paths, args.clients, auth)
                ours["cached"] = hammer(port, paths, args.clients, auth)
        # Every tile rendered on request: no render ahead, an empty cache.
        shutil.rmtree(cache_dir, ignore_errors=True)
        with serving(ours_cmd, {**ours_env, "JINGWANG_TILE_SEED_ZOOM": "-1"}, f"http://127.0.0.1:{port}/healthz"):
            warm_up(port, WARM_UP, auth, args.clients)  # never a tile: the cache stays empty
            ours["cold"] = hammer(port, paths, args.clients, auth)
        tipg_port = _free_port()
        tipg_env = {
            "DATABASE_URL": f"postgresql://{url.username}@localhost:{url.port or 5432}/{url.database}",
            "BENCH_PG_SOCKET_DIR": socket_dir,
            "TIPG_DB_TABLES": '["public.grid"]',
            "TIPG_DB_SPATIAL_EXTENT": "false",
            "TIPG_DB_DATETIME_EXTENT": "false",
        }
        tipg_cmd = [sys.executable, "-m", "uvicorn", "bench.tipg_server:app", "--host", "127.0.0.1",
                    "--port", str(tipg_port), "--workers", str(args.workers), "--no-access-log",
                    "--log-level", "warning"]  # fmt: skip
        with serving(tipg_cmd, tipg_env, f"http://127.0.0.1:{tipg_port}/collections/public.grid"):
            warm_up(tipg_port, ["/collections/public.grid"], {}, args.clients)
            paths = [
                f"/collections/public.grid/tiles/WebMercatorQuad/{z}/{x}/{y}?geom-column=geom&properties={TIPG_PROPERTIES}"
                for z, x, y in tiles
            ]
            theirs = [hammer(tipg_port, paths, args.clients) for _ in range(2)]
    report(page, seeded, ours, theirs, len(tiles), args)


def warm_up(port: int, paths: list[str], headers: dict[str, str], clients: int) -> None:
    """As on a running server: every worker and thread connected, code loaded (``clients`` at once; no tile)."""
    hammer(port, paths * (4 * clients), clients, headers)


def wait_seeded(marker: Path, timeout: float = 300) -> str:
    """What the server rendered ahead of requests, once it has finished."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {marker} after {timeout:.0f} s: the background render did not finish")
        time.sleep(0.2)
    return marker.read_text().strip()


def report(
    page: dict[str, float] | None,
    seeded: str,
    ours: dict[str, dict[str, float]],
    theirs: list[dict[str, float]],
    n: int,
    args: Any,
) -> None:
    if page is not None:
        print_table(
            f"Map page, 20,000-grid city, cold Chromium (opens at zoom {page['zoom']})",
            [
                ("DOMContentLoaded", f"{page['dom_ms']:.0f} ms", ""),
                ("first tile drawn", f"{page['first_tile_ms']:.0f} ms", "≤ 2000 ms"),
                ("boundaries drawn", f"{page['drawn_ms']:.0f} ms", "≤ 2000 ms"),
                ("bytes before tiles", f"{page['mb_before_tiles']:.2f} MB", "≤ 3 MB"),
                ("tile bytes", f"{page['mb_tiles']:.2f} MB", ""),
            ],
            ("measure", "jingwang", "target"),
        )
    rows = []
    for label, key, b in (
        ("every tile rendered on request", "cold", theirs[0]),
        ("after the render ahead", "seeded", theirs[0]),
        ("cached (second pass)", "cached", theirs[1]),
    ):
        if key not in ours:
            continue
        a = ours[key]
        ratio = a["tiles_per_s"] / b["tiles_per_s"]
        rows.append((label, f"{a['tiles_per_s']:.0f}", f"{b['tiles_per_s']:.0f}", f"{ratio:.2f}×",
                     f"{a['p50_ms']:.0f} / {a['p99_ms']:.0f}", f"{b['p50_ms']:.0f} / {b['p99_ms']:.0f}",
                     f"{a['mb']:.1f} / {b['mb']:.1f}"))  # fmt: skip
    ahead = f"rendered ahead after the import: {seeded}; " if seeded else ""
    print_table(
        f"Grid tiles, {n} tiles at z{args.zooms}, {args.clients} clients, {args.workers} workers each "
        f"({ahead}tipg has no cache: its first and second pass)",
        rows,
        ("", "jingwang tiles/s", "tipg tiles/s", "ratio", "jingwang p50/p99 ms", "tipg p50/p99 ms", "MB jw / tipg"),
    )


if __name__ == "__main__":
    main()
