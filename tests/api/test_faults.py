"""The database going away: requests answer 503 quickly, and the app recovers by itself when it is back.

The embedded cluster is shared by the whole test run, so it is never stopped here: a server that is down is an
engine pointed at a closed port, and a restart is every connection of the app's pool killed by the server
(``pg_terminate_backend``, what a shutdown does to them). ``python -m bench.bench_load`` stops and starts a
real cluster under load.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, text

from api import create_app
from api.db import ENGINE_OPTIONS

APP_NAME = "jingwang-fault-test"


# Checking a token needs the database, so a request that carries one reaches it even before any route does.
TOKEN = {"Authorization": "Bearer jw_fault_test"}


def _app(engine: Engine) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": engine.url.render_as_string(hide_password=False)})
    app.extensions["jingwang"] = {"engine": engine}
    return app


@pytest.fixture
def down_app() -> Iterator[Flask]:
    engine = create_engine("postgresql+psycopg://jingwang@127.0.0.1:1/jingwang", **ENGINE_OPTIONS)
    yield _app(engine)
    engine.dispose()


@pytest.mark.parametrize(
    "method, url",
    [("GET", "/healthz"), ("GET", "/api/precincts"), ("GET", "/api/alignment"), ("POST", "/api/hazards")],
)
def test_requests_while_the_database_is_down_answer_503_fast(down_app, method, url):
    client = down_app.test_client()
    start = time.perf_counter()
    response = client.open(url, method=method, headers=TOKEN, json={"title": "x", "lon": 1, "lat": 1})
    elapsed = time.perf_counter() - start
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "database_unavailable" and "try again" in error["message"]
    assert response.headers["Retry-After"] == "5"
    assert elapsed < 1.0


def test_pages_while_the_database_is_down_answer_503_without_json(down_app):
    response = down_app.test_client().get("/tiles/grids/12/3354/1552.pbf", headers=TOKEN)
    assert response.status_code == 503 and "database" in response.get_data(as_text=True)


def _kill_app_connections(engine: Engine) -> int:
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = :a AND pid <> pg_backend_pid()"
            ),
            {"a": APP_NAME},
        ).scalar_one()
    return int(killed)


def test_the_app_recovers_after_its_connections_are_killed(engine):
    options = {**ENGINE_OPTIONS, "connect_args": {**ENGINE_OPTIONS["connect_args"], "application_name": APP_NAME}}
    app_engine = create_engine(engine.url, **options)
    try:
        client = _app(app_engine).test_client()
        assert client.get("/healthz").status_code == 200
        assert _kill_app_connections(engine) >= 1
        # The pooled connection is dead; pre-ping replaces it, so no request fails and nothing restarts.
        for _ in range(3):
            response = client.get("/healthz")
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            assert response.get_json()["status"] == "ok"
    finally:
        app_engine.dispose()
