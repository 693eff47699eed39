"""The embedded cluster's lifecycle, on homes of their own (each test starts real PostgreSQL servers)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from api.cluster import Cluster, find_bindir
from api.errors import ClusterError


def _new_home() -> Path:
    # pytest's tmp_path is private to root; the postgres user must be able to enter the folder.
    path = Path(tempfile.mkdtemp(prefix="jw-home-", dir="/tmp"))
    path.chmod(0o755)
    return path


@pytest.fixture
def homes() -> Iterator[list[Cluster]]:
    made: list[Cluster] = []
    yield made
    for cluster in made:
        cluster.stop()
        shutil.rmtree(cluster.home, ignore_errors=True)


def _query(cluster: Cluster, sql: str) -> object:
    engine = create_engine(cluster.url("postgres"))
    try:
        with engine.connect() as conn:
            return conn.scalar(text(sql))
    finally:
        engine.dispose()


def test_first_start_creates_cluster_on_a_socket_only(homes):
    cluster = Cluster(_new_home())
    homes.append(cluster)
    assert cluster.status()["initialised"] is False
    assert cluster.start() is True
    status = cluster.status()
    assert status["running"] and status["initialised"]
    assert (cluster.rundir / ".s.PGSQL.5432").is_socket()
    assert _query(cluster, "SHOW listen_addresses") == ""  # no TCP port to collide with
    if os.geteuid() == 0:
        assert cluster.datadir.stat().st_uid != 0  # PostgreSQL runs as the postgres user, not root
    assert cluster.start() is False  # already running
    assert cluster.stop() is True
    assert cluster.status()["running"] is False
    assert cluster.stop() is False


def test_restart_after_kill_9(homes):
    cluster = Cluster(_new_home())
    homes.append(cluster)
    cluster.start()
    pid = cluster.status()["pid"]
    assert isinstance(pid, int)
    os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.1)
    assert (cluster.datadir / "postmaster.pid").exists()  # stale pid file left behind
    assert cluster.status()["running"] is False
    assert cluster.start() is True
    assert _query(cluster, "SELECT 41 + 1") == 42


def test_two_homes_side_by_side(homes):
    a, b = Cluster(_new_home()), Cluster(_new_home())
    homes.extend([a, b])
    a.start()
    b.start()
    for cluster, name in ((a, "only_in_a"), (b, "only_in_b")):
        engine = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        engine.dispose()
    names = "SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE 'only%'"
    assert _query(a, names) == "only_in_a"
    assert _query(b, names) == "only_in_b"
    assert a.status()["pid"] != b.status()["pid"]


def test_missing_binaries_name_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("JINGWANG_PG_BIN", str(tmp_path))
    with pytest.raises(ClusterError, match=r"apt-get install postgresql-15 postgresql-15-postgis-3"):
        find_bindir()
    with pytest.raises(ClusterError, match="not found"):
        Cluster(tmp_path / "home").start()


def test_missing_binaries_through_the_cli(tmp_path):
    env = {**os.environ, "JINGWANG_PG_BIN": str(tmp_path), "JINGWANG_HOME": str(tmp_path / "home")}
    env.pop("JINGWANG_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "db", "start"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "postgresql-15-postgis-3" in result.stderr
    assert "Traceback" not in result.stderr


def test_home_inside_a_private_folder(homes):
    # e.g. a clone under /root: as root the postgres user cannot enter it; the cluster goes elsewhere.
    private = Path(tempfile.mkdtemp(prefix="jw-private-", dir="/tmp"))
    private.chmod(0o700)
    cluster = Cluster(private / "home")
    homes.append(cluster)
    try:
        assert cluster.start() is True
        assert _query(cluster, "SELECT 1") == 1
        assert (cluster.home / "pg" / "data" / "PG_VERSION").exists()
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)
