"""What the benchmarks share: a throwaway database on the embedded cluster, timing, and the printed table."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from api.cluster import Cluster
from api.db import ensure_database, ensure_postgis, upgrade

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out"


def home() -> Path:
    """$JINGWANG_HOME as the servers the benchmarks start will see it."""
    return Path(os.environ.get("JINGWANG_HOME") or ROOT / ".jingwang").resolve()


@contextmanager
def fresh_database(label: str) -> Iterator[Engine]:
    """A migrated database on the embedded cluster under $JINGWANG_HOME, dropped afterwards."""
    cluster = Cluster(home())
    cluster.start()
    name = f"jingwang_bench_{label}_{uuid.uuid4().hex[:6]}"
    ensure_database(cluster.url(), name)
    engine = create_engine(cluster.url(name))
    with engine.begin() as conn:
        ensure_postgis(conn)
        upgrade(conn)
    try:
        yield engine
    finally:
        engine.dispose()
        admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def print_table(title: str, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def store_city(session: Session, city: tuple[Any, Any, Any]) -> None:
    """Store ``(precincts, districts, grids)`` of :func:`bench.city.make_city` as one version of each layer.

    The synthetic grids carry no parents: each is filed under its owner district, as an import would."""
    from api.layers import LAYERS
    from api.services.boundaries import ImportMeta, write_version
    from geo.align import compute

    precincts, districts, grids = city
    state = compute(grids, districts, precincts, findings=False)
    owner = {str(c): int(o) for c, o in zip(state.grids.codes, state.owner, strict=True)}
    index = [owner.get(str(c), -1) for c in grids["code"]]
    grids = grids.assign(
        district_code=[str(state.districts.codes[i]) if i >= 0 else None for i in index],
        precinct_code=[state.districts.parents[i] if i >= 0 else None for i in index],
    )
    for name, frame in (("precincts", precincts), ("districts", districts), ("grids", grids)):
        write_version(session, LAYERS[name], frame, ImportMeta(file_name=f"city-{name}", created_by="bench"))
    session.commit()
