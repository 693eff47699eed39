"""Fixtures on a real PostGIS: the embedded cluster under $JINGWANG_HOME, a throwaway database per test run.

Each test runs inside a transaction that is rolled back afterwards; services that commit only release a
savepoint (``join_transaction_mode="create_savepoint"``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from api import create_app
from api.auth.users import token_digest
from api.cli import cli
from api.cluster import Cluster
from api.db import ensure_database, ensure_postgis, upgrade

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def _home() -> Path:
    return Path(os.environ.get("JINGWANG_HOME") or ROOT / ".jingwang").resolve()


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    cluster = Cluster(_home())
    cluster.start()
    return cluster


def _new_database(cluster: Cluster, label: str, migrated: bool = True) -> tuple[str, Engine]:
    name = f"jingwang_test_{label}_{uuid.uuid4().hex[:8]}"
    ensure_database(cluster.url(), name)
    engine = create_engine(cluster.url(name))
    with engine.begin() as conn:
        ensure_postgis(conn)
        if migrated:
            upgrade(conn)
    return name, engine


def _drop_database(cluster: Cluster, name: str, engine: Engine) -> None:
    engine.dispose()
    admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine(cluster: Cluster) -> Iterator[Engine]:
    """An empty, migrated database."""
    name, engine = _new_database(cluster, "empty")
    yield engine
    _drop_database(cluster, name, engine)


@pytest.fixture
def bare_engine(cluster: Cluster) -> Iterator[Engine]:
    """A database of its own with PostGIS and no schema yet (for migrations), dropped afterwards."""
    name, engine = _new_database(cluster, "bare", migrated=False)
    yield engine
    _drop_database(cluster, name, engine)


@pytest.fixture(scope="session")
def demo_engine(cluster: Cluster) -> Iterator[Engine]:
    """A database with the demo city loaded (committed once for the whole run)."""
    from api.services.demo import load_demo

    name, engine = _new_database(cluster, "demo")
    with Session(engine) as session:
        load_demo(session, log=lambda _line: None)
    yield engine
    _drop_database(cluster, name, engine)


def _rolled_back(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    yield from _rolled_back(engine)


@pytest.fixture
def demo_connection(demo_engine: Engine) -> Iterator[Connection]:
    yield from _rolled_back(demo_engine)


def _session(conn: Connection) -> Session:
    return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    with _session(connection) as s:
        yield s


@pytest.fixture
def demo_session(demo_connection: Connection) -> Iterator[Session]:
    with _session(demo_connection) as s:
        yield s


def make_user(conn: Connection, name: str, role: str = "admin", precinct: str | None = None) -> str:
    """A token-only user in the test's transaction; returns its API token."""
    token = f"jw_test_{uuid.uuid4().hex}"
    user_id = conn.scalar(
        text("INSERT INTO app_user (name, role, precinct) VALUES (:n, :r, :p) RETURNING id"),
        {"n": name, "r": role, "p": precinct},
    )
    conn.execute(
        text("INSERT INTO api_token (user_id, sha256) VALUES (:u, :s)"), {"u": user_id, "s": token_digest(token)}
    )
    return token


class AuthClient(FlaskClient):
    """A test client that sends ``Authorization: Bearer`` (the app's test admin unless ``bearer`` says otherwise;
    ``bearer=None`` for an anonymous client)."""

    def __init__(self, *args: Any, bearer: str | None | bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        token = self.application.config.get("TEST_TOKEN") if bearer is True else bearer
        if token:
            self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"


def _app(engine: Engine, conn: Connection) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "TILE_CACHE_DIR": None,  # in memory only: the test databases come and go
            "TILE_SEED_ZOOM": -1,  # no background renders on the test's own connection
        }
    )
    app.extensions["jingwang"] = {
        "engine": engine,
        "sessionmaker": sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False),
    }
    app.config["TEST_TOKEN"] = make_user(conn, "test-admin")
    app.test_client_class = AuthClient
    return app


@pytest.fixture
def app(engine: Engine, connection: Connection) -> Flask:
    """The app on the empty database, inside the test's transaction."""
    return _app(engine, connection)


@pytest.fixture
def demo_app(demo_engine: Engine, demo_connection: Connection) -> Flask:
    """The app on the demo database, inside the test's transaction."""
    return _app(demo_engine, demo_connection)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo_client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture
def anon_client(app: Flask) -> FlaskClient:
    return app.test_client(bearer=None)


@pytest.fixture
def demo_anon_client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client(bearer=None)


ClientFactory = Callable[..., FlaskClient]


@pytest.fixture
def demo_client_as(demo_app: Flask, demo_connection: Connection) -> ClientFactory:
    """``demo_client_as("precinct", "130133-01")``: a client of a new user with that role (and precinct)."""

    def make(role: str, precinct: str | None = None) -> FlaskClient:
        name = f"test-{role}-{uuid.uuid4().hex[:6]}"
        return demo_app.test_client(bearer=make_user(demo_connection, name, role, precinct))

    return make


@pytest.fixture
def client_as(app: Flask, connection: Connection) -> ClientFactory:
    def make(role: str, precinct: str | None = None) -> FlaskClient:
        name = f"test-{role}-{uuid.uuid4().hex[:6]}"
        return app.test_client(bearer=make_user(connection, name, role, precinct))

    return make


class Runner:
    """Invokes ``jingwang`` on a given app, keeping stdout and stderr apart."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.runner = CliRunner()

    def invoke(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli, list(args), obj=self.app, input=input, catch_exceptions=False)


@pytest.fixture
def runner(app: Flask) -> Runner:
    return Runner(app)


@pytest.fixture
def demo_runner(demo_app: Flask) -> Runner:
    return Runner(demo_app)
