"""Two imports of the same layer at once: serialised, both recorded, the later one current, nothing mixed.

They run for real — two threads, two engines, committed transactions — on a database of their own. A third
connection holds the layer's lock until both imports wait on it, so they are released into the write together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from api.cluster import Cluster
from api.layers import LAYERS
from api.services.boundaries import lock_layer
from api.services.imports import import_file
from api.services.options import ImportOptions
from tests.conftest import _drop_database, _new_database
from tests.geo.builders import grids, many_grids, write


@pytest.fixture(scope="module")
def committed(cluster: Cluster) -> Iterator[Engine]:
    name, engine = _new_database(cluster, "concurrent")
    yield engine
    _drop_database(cluster, name, engine)


def _waiters(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")) or 0)


def _run(url: Any, path: Path, user: str, results: dict[str, Any]) -> None:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            results[user] = import_file(session, "grids", path, ImportOptions(user=user))
    except Exception as exc:  # reported by the test
        results[user] = exc
    finally:
        engine.dispose()


def test_two_imports_of_one_layer_at_once(committed: Engine, tmp_path: Path) -> None:
    files = {"a": write(grids(4326), tmp_path / "a.geojson"), "b": write(many_grids(5), tmp_path / "b.geojson")}
    results: dict[str, Any] = {}
    with Session(committed) as holder:
        lock_layer(holder, LAYERS["grids"])
        threads = [threading.Thread(target=_run, args=(committed.url, p, u, results)) for u, p in files.items()]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while _waiters(committed) < 2:
            assert time.monotonic() < deadline, f"the imports did not wait on the layer lock: {results}"
            time.sleep(0.05)
        holder.rollback()  # releases the lock: both imports race into the write
    for t in threads:
        t.join(60)
    assert all(isinstance(r, dict) for r in results.values()), results

    with committed.connect() as conn:
        recorded = conn.execute(
            text("SELECT id, created_by, created_at FROM boundary_import WHERE layer = 'grids' ORDER BY created_at")
        ).all()
        current = conn.execute(text("SELECT import_id, count(*) FROM grid WHERE valid_to IS NULL GROUP BY 1")).all()
        first, last = recorded
        closed = conn.scalar(
            text("SELECT count(*) FROM grid WHERE import_id = :f AND valid_to = :t"),
            {"f": first.id, "t": last.created_at},
        )
    assert {r.created_by for r in recorded} == {"a", "b"}  # both recorded
    assert first.id < last.id  # the later writer has the later id and timestamp
    features = {"a": 2, "b": 5}
    assert current == [(last.id, features[last.created_by])]  # every current row from the last import
    assert closed == features[first.created_by]  # the first import's rows closed by the last one
