"""Concurrent keep-alive clients for a fixed time on a mix of tiles, API reads and hazard reports.

Every request is recorded (when it started, how long it took, its status); every hazard report carries a unique
title, so the reports the server acknowledged can be looked for in the database afterwards.
"""

from __future__ import annotations

import http.client
import json
import math
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hit", "Mix", "run_load", "summary", "percentile"]

READS = ["/api/precincts", "/api/map/versions", "/api/hazards?state=open", "/api/grids?limit=50", "/healthz",
         "/api/key-places/categories", "/api/districts"]  # fmt: skip


@dataclass
class Hit:
    kind: str  # tile | read | write
    start: float  # seconds since the run began
    seconds: float
    status: int  # 0 = no answer (connection refused or reset)
    title: str | None = None  # a write's unique title


@dataclass
class Mix:
    """What the clients ask for: tiles inside ``bounds`` at ``zooms``, reads, and writes (one in ``write_every``)."""

    bounds: tuple[float, float, float, float]
    zooms: tuple[int, ...] = (12, 13, 14)
    write_every: int = 10
    headers: dict[str, str] = field(default_factory=dict)

    def tile(self, rng: random.Random) -> str:
        z = rng.choice(self.zooms)
        lon, lat = rng.uniform(self.bounds[0], self.bounds[2]), rng.uniform(self.bounds[1], self.bounds[3])
        n = 2**z
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        layer = rng.choice(["precincts", "districts", "grids"])
        return f"/tiles/{layer}/{z}/{int((lon + 180) / 360 * n)}/{y}.pbf"

    def hazard(self, rng: random.Random) -> tuple[str, bytes]:
        title = f"bench-{uuid.uuid4().hex}"
        lon, lat = rng.uniform(self.bounds[0], self.bounds[2]), rng.uniform(self.bounds[1], self.bounds[3])
        body = {"title": title, "lon": lon, "lat": lat, "reporter": "bench", "category": "other"}
        return title, json.dumps(body).encode()


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None, headers: dict) -> int:
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def _client(port: int, mix: Mix, until: float, t0: float, hits: list[Hit], seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    count = 0
    while time.perf_counter() < until:
        count += 1
        title, body, method = None, None, "GET"
        headers = dict(mix.headers)
        if count % mix.write_every == 0:
            kind, path, method = "write", "/api/hazards", "POST"
            title, body = mix.hazard(rng)
            headers["Content-Type"] = "application/json"
        elif count % 2:
            kind, path = "tile", mix.tile(rng)
        else:
            kind, path = "read", rng.choice(READS)
        start = time.perf_counter()
        try:
            status = _request(conn, method, path, body, headers)
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        hits.append(Hit(kind, start - t0, time.perf_counter() - start, status, title))
    conn.close()


def run_load(port: int, mix: Mix, seconds: float, clients: int = 8) -> tuple[list[Hit], float]:
    """``clients`` threads for ``seconds``; returns every hit and the run's start (``time.perf_counter``)."""
    hits: list[Hit] = []  # list.append is atomic under the GIL
    t0 = time.perf_counter()
    threads = [threading.Thread(target=_client, args=(port, mix, t0 + seconds, t0, hits, i)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return hits, t0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def summary(hits: list[Hit], seconds: float) -> dict[str, Any]:
    ms = [1000 * h.seconds for h in hits]
    errors = [h for h in hits if not 200 <= h.status < 400]
    return {
        "requests": len(hits),
        "rps": len(hits) / seconds,
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "error_rate": len(errors) / max(1, len(hits)),
        "writes_ok": sum(1 for h in hits if h.kind == "write" and 200 <= h.status < 300),
        "errors": dict(Counter(f"{h.kind} {h.status}" for h in errors).most_common()),
    }
