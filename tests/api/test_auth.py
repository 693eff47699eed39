"""Accounts: passwords, sign-in with CSRF and lockout, tokens, roles, the audit log, headers, production checks."""

from __future__ import annotations

import json
import re
import stat

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from api import create_app
from api.auth.hardening import ConfigError
from api.auth.passwords import hash_password, verify_password
from api.auth.users import MAX_FAILURES, add_user, disable_user, new_token
from api.services.demo_users import ensure_demo_users

A, B = "130133-07", "130133-10"
PASSWORD = "correct-horse-battery"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', html
    )
    assert found, "no CSRF token in the page"
    return found.group(1)


def _sign_in(client: FlaskClient, name: str, password: str) -> object:
    token = _csrf(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


def _audit(session, action: str) -> list[tuple[str, str]]:
    rows = session.execute(
        text("SELECT user_name, target FROM audit_log WHERE action = :a ORDER BY id"), {"a": action}
    ).all()
    return [(r.user_name, r.target) for r in rows]


def test_passwords_are_salted_scrypt_hashes():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt$") and first != second and PASSWORD not in first
    assert verify_password(first, PASSWORD) and not verify_password(first, PASSWORD + "x")
    assert not verify_password(None, PASSWORD) and not verify_password("garbage$1", PASSWORD)


def test_sign_in_csrf_and_sign_out(demo_app, demo_session):
    add_user(demo_session, "clerk", "precinct", A, PASSWORD)
    client = demo_app.test_client(bearer=None)
    assert client.get("/").status_code == 302 and "/login" in client.get("/").location
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and "用户名" in page
    no_csrf = client.post("/login", data={"name": "clerk", "password": PASSWORD})
    assert no_csrf.status_code == 400
    wrong = _sign_in(client, "clerk", "not-the-password")
    unknown = _sign_in(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True) and "用户名或密码错误" in unknown.get_data(as_text=True)
    signed = _sign_in(client, "clerk", PASSWORD)
    assert signed.status_code == 302
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "clerk" in home.get_data(as_text=True)
    token = _csrf(home.get_data(as_text=True))
    hazard = demo_session.scalar(text("SELECT min(code) FROM hazard WHERE precinct_code = :a AND state = 'reported'"),
                                 {"a": A})  # fmt: skip
    url = f"/api/hazards/{hazard}/transitions"
    assert client.post(url, json={"to": "assessed"}).status_code == 403  # the cookie alone is not enough
    assert client.post(url, json={"to": "assessed"}, headers={"X-CSRF-Token": token}).status_code == 200
    assert client.post("/logout").status_code == 403
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 302 and client.get("/api/me").status_code == 401
    assert [a for a, _ in _audit(demo_session, "login")] == ["clerk"]
    assert len(_audit(demo_session, "login.failed")) == 2 and _audit(demo_session, "logout") == [("clerk", "clerk")]
    assert _audit(demo_session, "hazard.transition") == [("clerk", hazard)]


def test_lockout_after_repeated_failures(demo_app, demo_session):
    add_user(demo_session, "clerk", "viewer", A, PASSWORD)
    client = demo_app.test_client(bearer=None)
    for _ in range(MAX_FAILURES):
        assert _sign_in(client, "clerk", "wrong-password").status_code == 401
    locked = _sign_in(client, "clerk", PASSWORD)
    assert locked.status_code == 429 and "登录失败次数过多" in locked.get_data(as_text=True)
    assert client.get("/api/me").status_code == 401
    assert len(_audit(demo_session, "login.locked")) == 1


def test_next_is_never_an_open_redirect(demo_app, demo_session):
    add_user(demo_session, "clerk", "analyst", None, PASSWORD)
    client = demo_app.test_client(bearer=None)
    token = _csrf(client.get("/login").get_data(as_text=True))
    for target, where in (("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/hazards?state=open", None)):
        response = client.post("/login", data={"name": "clerk", "password": PASSWORD, "csrf_token": token,
                                               "next": target})  # fmt: skip
        assert response.location == (where or target)
        token = _csrf(client.get("/login").get_data(as_text=True))


def test_tokens_revoked_or_of_disabled_users_are_refused(demo_app, demo_session):
    add_user(demo_session, "script", "analyst")
    token = new_token(demo_session, "script")
    client = demo_app.test_client(bearer=token)
    assert client.get("/api/me").get_json() == {"name": "script", "role": "analyst", "precinct": None}
    assert demo_session.scalar(text("SELECT last_used IS NOT NULL FROM api_token"
                                    " JOIN app_user u ON u.id = user_id WHERE u.name = 'script'"))  # fmt: skip
    assert demo_app.test_client(bearer="jw_wrong").get("/api/precincts").status_code == 401
    disable_user(demo_session, "script")
    refused = client.get("/tiles/grids/0/0/0.pbf")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert _audit(demo_session, "user.disable") == [("cli", "script")]


def test_basic_auth_takes_the_token_as_password_never_the_password(demo_app, demo_session):
    import base64

    add_user(demo_session, "qgis", "analyst", password=PASSWORD)
    token = new_token(demo_session, "qgis")

    def basic(user: str, secret: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}

    client = demo_app.test_client(bearer=None)
    assert client.get("/ogc/collections/grids/items", headers=basic("qgis", token)).status_code == 200
    assert client.get("/api/me", headers=basic("", token)).get_json()["name"] == "qgis"
    assert client.get("/api/me", headers=basic("qgis", PASSWORD)).status_code == 401  # a password is not a token
    assert client.get("/api/me", headers=basic("someone-else", token)).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Basic %%%"}).status_code == 401


def test_role_matrix(demo_session, demo_client, demo_client_as):
    hazard_a = demo_session.scalar(text("SELECT min(code) FROM hazard WHERE precinct_code = :a AND state = 'reported'"),
                                   {"a": A})  # fmt: skip
    url = f"/api/hazards/{hazard_a}/transitions"
    viewer, analyst, precinct = demo_client_as("viewer", A), demo_client_as("analyst"), demo_client_as("precinct", A)
    assert viewer.post(url, json={"to": "assessed"}).status_code == 403
    assert analyst.post(url, json={"to": "assessed"}).status_code == 403
    assert analyst.get(f"/api/districts?precinct={B}").get_json()["numberReturned"] > 0  # analysts read all
    assert viewer.get(f"/api/districts?precinct={B}").status_code == 403
    assert viewer.get(f"/api/districts?precinct={A}").get_json()["numberReturned"] > 0
    assert precinct.post(url, json={"to": "assessed"}).status_code == 200
    for client in (viewer, analyst, precinct):
        assert client.get("/api/audit").status_code == 403
    audit = demo_client.get("/api/audit", query_string={"action": "hazard"}).get_json()["audit"]
    assert audit[0]["action"] == "hazard.transition" and audit[0]["target"] == hazard_a
    precincts = precinct.get("/").get_data(as_text=True)
    assert f'<option value="{A}"' in precincts and f'<option value="{B}"' not in precincts


def test_precinct_import_outside_is_refused_with_the_codes(demo_session, demo_client_as):
    from tests.api.scope_routes import geojson_upload

    lon, lat = demo_session.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM precinct WHERE code = :b) q"),
        {"b": B},
    ).one()
    client = demo_client_as("precinct", A)
    response = client.post("/api/imports", data={"layer": "grids", "mode": "append",
                                                 **geojson_upload("ZZ-OUT", lon, lat)})  # fmt: skip
    assert response.status_code == 403
    assert response.get_json()["error"]["details"]["codes"] == ["ZZ-OUT"]
    lon, lat = demo_session.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grid WHERE precinct_code = :a"
             " ORDER BY code LIMIT 1) q"), {"a": A},
    ).one()  # fmt: skip
    inside = client.post("/api/imports", data={"layer": "key-places", "mode": "append",
                                               "file": (_csv(lon, lat), "places.csv")})  # fmt: skip
    assert inside.status_code == 201, inside.get_json()
    row = demo_session.execute(text("SELECT precinct_scope, created_by FROM boundary_import ORDER BY id DESC")).first()
    assert row.precinct_scope == A and row.created_by.startswith("test-precinct")
    mine = [target.split()[0] for user, target in _audit(demo_session, "import") if user.startswith("test-precinct")]
    assert mine == ["key-places"]  # the refused import left no trace


def _csv(lon: float, lat: float):
    import io

    return io.BytesIO(f"code,name,category,lon,lat\nKP-NEW,新店,market,{lon},{lat}\n".encode())


def test_cli_users(runner, session):
    session.execute(text("INSERT INTO precinct (code, name, geom) VALUES ('P1', 'p', "
                         "ST_Multi(ST_MakeEnvelope(0, 0, 1, 1, 4326)))"))  # fmt: skip
    added = runner.invoke("users", "add", "clerk", "--role", "precinct", "--precinct", "P1", "--token")
    assert added.exit_code == 0, added.stderr
    lines = added.stdout.strip().splitlines()
    password = lines[1].split(": ")[1]
    assert len(password) >= 12 and lines[-1].startswith("jw_")
    assert verify_password(session.scalar(text("SELECT password_hash FROM app_user WHERE name = 'clerk'")), password)
    piped = runner.invoke("users", "add", "boss", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
    assert piped.exit_code == 0 and PASSWORD not in piped.stdout
    assert runner.invoke("users", "add", "x", "--role", "viewer").exit_code == 1  # needs --precinct
    assert runner.invoke("users", "add", "y", "--role", "viewer", "--precinct", "NOPE").exit_code == 1
    listed = runner.invoke("users", "list", "--json")
    assert [u["name"] for u in json.loads(listed.stdout)["users"]] == ["boss", "clerk", "test-admin"]
    assert runner.invoke("users", "token", "clerk").stdout.strip().startswith("jw_")
    assert runner.invoke("users", "disable", "clerk").exit_code == 0
    assert "disabled" in runner.invoke("users", "list").stdout
    assert [a for a, _ in _audit(session, "user.add")] == ["cli", "cli"]


def test_demo_users_are_made_once_and_kept_private(demo_session, tmp_path, demo_app):
    first = ensure_demo_users(demo_session, tmp_path)
    assert [r[1] for r in first] == ["admin", "analyst", "precinct", "viewer"]
    assert first[2][2] == "130133-01"
    assert stat.S_IMODE((tmp_path / "demo-users.txt").stat().st_mode) == 0o600
    assert ensure_demo_users(demo_session, tmp_path) == first  # the same passwords a second time
    assert _sign_in(demo_app.test_client(bearer=None), first[0][0], first[0][3]).status_code == 302


def test_security_headers_and_script_nonce(demo_client):
    response = demo_client.get("/")
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    html = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert demo_client.get("/healthz").headers["X-Content-Type-Options"] == "nosniff"


def test_basemap_origin_is_allowed_for_images(demo_app, demo_client):
    demo_app.config["TILE_URL"] = "https://{s}.tiles.example.cn/{z}/{x}/{y}.png"
    csp = demo_client.get("/api/me").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.tiles.example.cn" in csp


def test_versioned_tiles_are_private_to_the_user(demo_client):
    response = demo_client.get("/tiles/precincts/0/0/0.pbf?v=1")
    assert "public" not in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "JINGWANG_SECRET_KEY"),
        ({"JINGWANG_SECRET_KEY": "short"}, "JINGWANG_SECRET_KEY"),
        ({"JINGWANG_SECRET_KEY": "k" * 40, "FLASK_DEBUG": "1"}, "FLASK_DEBUG"),
    ],
)
def test_production_refuses_a_development_configuration(monkeypatch, env, message):
    monkeypatch.delenv("JINGWANG_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_production_starts_with_a_real_key(monkeypatch):
    monkeypatch.setenv("JINGWANG_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert create_app().config["SECRET_KEY"] == "k" * 40
    assert create_app(serving=False) is not None


def test_applied_proposals_and_imports_are_audited(demo_client, demo_session):
    applied = demo_client.post("/api/alignment/apply", json={})
    assert applied.status_code == 201
    rows = _audit(demo_session, "proposal.apply")
    assert rows == [("test-admin", f"import {applied.get_json()['import_id']}")]
    details = demo_session.scalar(text("SELECT details FROM audit_log WHERE action = 'proposal.apply'"))
    assert details["districts_changed"] and details["moves"] == []
