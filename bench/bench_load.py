"""Load and faults on loopback: 8 clients on tiles and the API, PostgreSQL stopped mid-load, two imports at once.

    python -m bench.bench_load [--seconds 20] [--clients 8] [--outage 5]

Runs on its own home (``bench/out/loadhome``: its own embedded cluster, never the one the tests use) with the
demo city, served by ``jingwang serve`` (waitress) in a subprocess.

1. **load**: the clients for ``--seconds`` on tiles, API reads and hazard reports: requests/s, p50/p99, errors.
2. **fault**: the same load while the cluster is stopped for ``--outage`` seconds and started again: how many
   requests in the gap got 503 and how fast, how long until the first success after the restart, and lost
   writes (hazard reports acknowledged with 2xx but missing from the database afterwards) — must be 0.
3. **imports**: two imports of the grid layer at once: both recorded, the later one current, nothing mixed.
4. **scope**: with accounts, a precinct user's reads are checked for other precincts' codes — must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from api.cluster import Cluster
from bench.bench_map import _free_port, serving
from bench.common import OUT, ROOT, print_table
from bench.loadgen import Hit, Mix, percentile, run_load, summary

HOME = OUT / "loadhome"
JINGWANG = str(Path(sys.executable).with_name("jingwang"))


def _env() -> dict[str, str]:
    return {"JINGWANG_HOME": str(HOME), "JINGWANG_SECRET_KEY": _secret()}


def _secret() -> str:
    path = HOME / "bench-secret"
    if not path.exists():
        HOME.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([JINGWANG, *args], env={**os.environ, **_env()}, cwd=ROOT, capture_output=True, text=True)


def _token(engine: Engine, name: str, role: str, precinct: str | None = None) -> str | None:
    """A new account's API token, when this jingwang has accounts; else None.

    ``jingwang users add … --token`` when the command exists, else the same service in this process.
    """
    name = f"{name}-{secrets.token_hex(3)}"
    if _cli("users", "--help").returncode == 0:
        extra = ["--precinct", precinct] if precinct else []
        done = _cli("users", "add", name, "--role", role, *extra, "--token")
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return done.stdout.strip().splitlines()[-1]
    try:
        from api.auth import users
    except ImportError:
        return None
    with Session(engine) as session:
        users.add_user(session, name, role, precinct)
        return str(users.new_token(session, name))


def _setup() -> tuple[Engine, tuple[float, float, float, float]]:
    cluster = Cluster(HOME)
    cluster.start()
    done = _cli("demo")  # idempotent: the same demo city however often it runs
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    engine = create_engine(cluster.url(), pool_pre_ping=True)
    with engine.connect() as conn:
        box = conn.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)"
                                " AS e FROM grid WHERE valid_to IS NULL) s")).one()  # fmt: skip
    return engine, (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def _lost_writes(engine: Engine, hits: list[Hit]) -> int:
    acknowledged = [h.title for h in hits if h.kind == "write" and 200 <= h.status < 300]
    with engine.connect() as conn:
        stored = set(conn.scalars(text("SELECT title FROM hazard WHERE title = ANY(:t)"), {"t": acknowledged}))
    return len(set(acknowledged) - stored)


def _outage(cluster: Cluster, at: float, seconds: float, marks: dict[str, float]) -> None:
    time.sleep(at)
    marks["stop"] = time.perf_counter()
    cluster.stop()
    marks["stopped"] = time.perf_counter()
    time.sleep(seconds)
    cluster.start()
    marks["started"] = time.perf_counter()


def _fault_figures(hits: list[Hit], t0: float, marks: dict[str, float]) -> dict[str, Any]:
    stop, started = marks["stop"] - t0, marks["started"] - t0
    gap = [h for h in hits if stop <= h.start < started]
    after = sorted((h for h in hits if h.start >= started), key=lambda h: h.start)
    first_ok = next((h.start + h.seconds for h in after if 200 <= h.status < 300 and h.kind != "tile"), None)
    answered = [1000 * h.seconds for h in gap if h.status == 503]
    return {
        "in_gap": len(gap),
        "503": len(answered),
        "other": sorted({h.status for h in gap} - {503}),
        "p50_503_ms": percentile(answered, 50),
        "max_503_ms": max(answered, default=float("nan")),
        "recovery_s": (first_ok - started) if first_ok is not None else float("nan"),
        "errors_after": sum(1 for h in after if h.status >= 500 and h.start > started + 1),
    }


def _import_file(engine: Engine, suffix: str) -> Path:
    from api.services.store import load_layer

    with Session(engine) as session:
        grids = load_layer(session, "grids")
    grids["name"] = grids["name"].astype(str) + suffix
    path = OUT / f"load-grids{suffix}.geojson"
    grids[["code", "name", "district_code", "geometry"]].to_file(path, driver="GeoJSON")
    return path


def _concurrent_imports(engine: Engine) -> dict[str, Any]:
    from api.services.imports import import_file
    from api.services.options import ImportOptions

    files = {user: _import_file(engine, f"-{user}") for user in ("A", "B")}
    results: dict[str, Any] = {}
    gate = threading.Barrier(2)

    def run(user: str) -> None:
        own = create_engine(engine.url)
        with Session(own) as session:
            gate.wait()
            start = time.perf_counter()
            doc = import_file(session, "grids", files[user], ImportOptions(user=f"bench-{user}"))
            results[user] = (doc["import_id"], start, time.perf_counter())
        own.dispose()

    threads = [threading.Thread(target=run, args=(u,)) for u in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = sorted(r[0] for r in results.values())
    with engine.connect() as conn:
        sql = "SELECT import_id, count(*) FROM grid WHERE valid_to IS NULL GROUP BY 1"
        current = {int(r[0]): int(r[1]) for r in conn.execute(text(sql))}
        recorded = conn.scalar(text("SELECT count(*) FROM boundary_import WHERE id = ANY(:i)"), {"i": ids})
    return {"recorded": recorded, "current_from": sorted(current), "last": ids[-1], "mixed": len(current) != 1,
            "overlap_s": min(r[2] for r in results.values()) - max(r[1] for r in results.values())}  # fmt: skip


def _cross_precinct(port: int, engine: Engine) -> str:
    with engine.connect() as conn:
        own = conn.scalar(text("SELECT min(code) FROM precinct WHERE valid_to IS NULL"))
    token = _token(engine, "bench-scope", "precinct", own)
    if token is None:
        return "n/a (no accounts in this jingwang)"
    leaks = checked = 0
    for path in ("/api/districts", "/api/grids", "/api/hazards", "/api/key-places", "/api/incidents"):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            doc = json.loads(response.read())
        for row in (f.get("properties") or {} for f in doc.get("features", [])):
            checked += 1
            codes = {row.get(k) for k in ("precinct_code", "precinct") if row.get(k)}
            leaks += bool(codes - {own})
    return f"{leaks} of {checked} rows from another precinct than {own}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--outage", type=float, default=5)
    args = parser.parse_args()
    engine, bounds = _setup()
    token = _token(engine, "bench", "admin")
    mix = Mix(bounds, headers={"Authorization": f"Bearer {token}"} if token else {})
    port = _free_port()
    command = [JINGWANG, "serve", "--port", str(port), "--threads", str(2 * args.clients)]
    with serving(command, _env(), f"http://127.0.0.1:{port}/healthz"):
        hits, _ = run_load(port, mix, args.seconds, args.clients)
        plain = summary(hits, args.seconds)
        marks: dict[str, float] = {}
        fault = threading.Thread(target=_outage, args=(Cluster(HOME), args.seconds / 4, args.outage, marks))
        fault.start()
        fault_hits, t0 = run_load(port, mix, args.seconds, args.clients)
        fault.join()
        faulted = {**summary(fault_hits, args.seconds), **_fault_figures(fault_hits, t0, marks)}
        scope = _cross_precinct(port, engine)
    lost = _lost_writes(engine, hits + fault_hits)
    imports = _concurrent_imports(engine)
    engine.dispose()
    _report(args, plain, faulted, lost, imports, scope)


def _report(args: Any, plain: dict, faulted: dict, lost: int, imports: dict, scope: str) -> None:
    rows = [(name, str(d["requests"]), f"{d['rps']:.0f}", f"{d['p50_ms']:.1f}", f"{d['p99_ms']:.1f}",
             f"{100 * d['error_rate']:.2f} %", str(d["writes_ok"]))
            for name, d in (("load", plain), ("fault", faulted))]  # fmt: skip
    print_table(f"{args.clients} clients × {args.seconds:g} s on 127.0.0.1 (tiles, API reads, hazard reports)",
                rows, ("run", "requests", "req/s", "p50 ms", "p99 ms", "errors", "writes 2xx"))  # fmt: skip
    print(f"\nPostgreSQL stopped for {args.outage:g} s: {faulted['in_gap']} requests in the gap, {faulted['503']} "
          f"answered 503 (p50 {faulted['p50_503_ms']:.1f} ms, max {faulted['max_503_ms']:.1f} ms), other statuses "
          f"{faulted['other']}; first success {faulted['recovery_s']:.2f} s after the restart; 5xx later than 1 s "
          f"after it: {faulted['errors_after']}")  # fmt: skip
    print(f"errors by kind and status: load {plain['errors']}; fault {faulted['errors']}")
    print(f"lost writes (acknowledged, not stored): {lost}")
    print(f"two imports at once: {imports['recorded']} recorded, current rows from imports {imports['current_from']}"
          f" (last {imports['last']}), mixed: {imports['mixed']}, time both were running: "
          f"{imports['overlap_s']:.2f} s")  # fmt: skip
    print(f"cross-precinct reads: {scope}")


if __name__ == "__main__":
    main()
