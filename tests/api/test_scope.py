"""The scope walk: every registered route, asked by a precinct user of precinct A for things of precinct B.

A read must return nothing of B (no code or name of B anywhere in the body, decompressed and extracted where it is
a zip or a PDF) or be refused; a change aimed at B must be refused and change nothing; an anonymous request gets
401 (API, tiles, OGC) or the sign-in page. A route missing from ``ROUTES`` fails the walk: add it there, with
requests aimed at B (``tests/api/scope_routes.py``), when a blueprint gains one.

A and B are demo precincts that do not touch, so no shared border legitimately shows a unit of B in A's figures.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.api.scope_routes import ROUTES, A, B, Call, Ctx, geojson_upload, tile_of

REFUSED = {400, 403, 404, 405, 409, 422}
PUBLIC = {"auth.login", "auth.login_post", "health.healthz", "assets.static", "assets.vendor", "lang.switch", "static"}
# What a write could change: every table of the store but the audit log and the accounts.
STORE_TABLES = ("precinct", "district", "grid", "key_place", "hazard", "hazard_event", "incident", "boundary_import",
                "setting")  # fmt: skip


def _markers(session: Session) -> list[str]:
    """Strings that only B's data holds: its codes (units share the precinct's code as prefix), its name, and
    the codes of its points."""
    name = session.scalar(text("SELECT name FROM precinct WHERE valid_to IS NULL AND code = :b"), {"b": B})
    points = session.scalars(
        text(
            "SELECT code FROM hazard WHERE precinct_code = :b UNION SELECT code FROM key_place WHERE precinct_code = :b"
            " UNION SELECT code FROM incident WHERE precinct_code = :b AND code IS NOT NULL"
        ),
        {"b": B},
    ).all()
    return [B, name, *points]


def _context(session: Session, client: FlaskClient) -> Ctx:
    grid, district = session.execute(
        text("SELECT code, district_code FROM grid WHERE valid_to IS NULL AND precinct_code = :b ORDER BY code"),
        {"b": B},
    ).first()  # type: ignore[misc]
    hazard = session.scalar(text("SELECT min(code) FROM hazard WHERE precinct_code = :b"), {"b": B})
    lon, lat = session.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grid WHERE code = :g) q"), {"g": grid}
    ).one()
    collections = [c["id"] for c in client.get("/ogc/collections").get_json()["collections"]]
    return Ctx(grid, district, hazard, (lon, lat), tile_of(lon, lat, 13), tile_of(lon, lat, 9), collections)


def _texts(body: bytes) -> list[bytes]:
    """The body as searchable bytes: the members of a zip (xlsx, shp.zip) and the text of a PDF too."""
    out = [body]
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            out += [archive.read(name) for name in archive.namelist()]
    elif body.startswith(b"%PDF"):
        from pypdf import PdfReader

        out += [(page.extract_text() or "").encode() for page in PdfReader(io.BytesIO(body)).pages]
    return out


def _digest(session: Session) -> dict[str, str]:
    return {
        table: session.scalar(
            text(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(md5(t::text), '' ORDER BY"
                f" md5(t::text))), '') FROM {table} t"
            )
        )  # fmt: skip
        for table in STORE_TABLES
    }


def _send(client: FlaskClient, call: Call) -> Any:
    data = None
    if call.data is not None:  # a fresh upload per request: the stream is read once
        data = {k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for k, v in call.data.items()}
    return client.open(call.url, method=call.method, query_string=call.query, json=call.json, data=data)


def _calls(app: Flask, ctx: Ctx) -> tuple[list[tuple[str, Call]], list[str]]:
    calls, unknown = [], []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if rule.endpoint in PUBLIC and (rule.endpoint, method) not in ROUTES:
                continue
            make = ROUTES.get((rule.endpoint, method))
            if make is None:
                unknown.append(f"{method} {rule.rule} ({rule.endpoint})")
                continue
            calls += [(rule.endpoint, call) for call in make(ctx)]
    return calls, unknown


def test_a_precinct_user_sees_and_changes_nothing_of_another_precinct(demo_app, demo_session, demo_client,
                                                                      demo_client_as):  # fmt: skip
    ctx = _context(demo_session, demo_client)
    markers = [m.encode() for m in _markers(demo_session)]
    calls, unknown = _calls(demo_app, ctx)
    assert not unknown, f"routes the scope walk does not know; add them to ROUTES: {unknown}"
    user = demo_client_as("precinct", A)
    leaks, changed, allowed = [], [], []
    for endpoint, call in calls:
        before = _digest(demo_session) if call.kind == "write" else None
        response = _send(user, call)
        where = f"{call.method} {call.url} {call.query or ''} ({endpoint}) -> {response.status_code}"
        if call.kind == "write":
            if response.status_code not in REFUSED:
                allowed.append(where)
            if _digest(demo_session) != before:
                changed.append(where)
        elif call.kind == "admin":
            if response.status_code != 403:
                allowed.append(where)
        elif call.kind == "read" and response.status_code not in REFUSED:
            assert response.status_code < 400, f"{where}: {response.get_data(as_text=True)[:300]}"
            found = [m.decode() for m in markers for part in _texts(response.data) if m in part]
            if found:
                leaks.append(f"{where}: {sorted(set(found))[:5]}")
    assert not leaks, "precinct B's data reached a user of precinct A:\n" + "\n".join(leaks)
    assert not allowed, "changes aimed at precinct B were not refused:\n" + "\n".join(allowed)
    assert not changed, "refused changes still changed the store:\n" + "\n".join(changed)


def test_anonymous_requests_are_refused_or_sent_to_sign_in(demo_app, demo_session, demo_client, demo_anon_client):
    ctx = _context(demo_session, demo_client)
    calls, unknown = _calls(demo_app, ctx)
    assert not unknown
    wrong = []
    for endpoint, call in calls:
        if call.kind == "public":
            continue
        response = _send(demo_anon_client, call)
        machine = call.url.startswith(("/api/", "/tiles/", "/ogc"))
        if machine and response.status_code != 401:
            wrong.append(f"{call.method} {call.url} ({endpoint}) -> {response.status_code}")
        to_sign_in = response.status_code == 302 and "/login" in (response.location or "")
        if not machine and not to_sign_in and (call.method == "GET" or response.status_code != 401):
            wrong.append(f"{call.method} {call.url} ({endpoint}) -> {response.status_code}")
    assert not wrong, "anonymous requests that got through:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_read_only_roles_change_nothing(demo_session, demo_client_as, role):
    """Viewers and analysts are refused changes even inside precinct A."""
    user = demo_client_as(role, A if role == "viewer" else None)
    hazard = demo_session.scalar(text("SELECT min(code) FROM hazard WHERE precinct_code = :a"), {"a": A})
    lon, lat = demo_session.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grid WHERE precinct_code = :a"
             " ORDER BY code LIMIT 1) q"), {"a": A},
    ).one()  # fmt: skip
    before = _digest(demo_session)
    for call in (
        Call("POST", "/api/alignment/apply", json={}),
        Call("POST", "/api/hazards", json={"title": "x", "lon": lon, "lat": lat}),
        Call("POST", f"/api/hazards/{hazard}/transitions", json={"to": "rejected"}),
        Call("POST", "/api/imports", data={"layer": "grids", "mode": "append", **geojson_upload("ZZ-NEW", lon, lat)}),
    ):
        response = _send(user, call)
        assert response.status_code == 403, (call.url, response.status_code)
    assert _digest(demo_session) == before
