"""``/api/openapi.json`` describes every ``/api`` route, and schemathesis finds no 500 in any of them.

The fuzzer calls the demo app through WSGI, inside the test's rolled-back transaction: what it writes is gone
afterwards, and uploads and photos land in ``tmp_path``. A few examples per operation keep the run short.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from api.openapi import spec

EXAMPLES = 12


def _headers(app: Flask) -> dict[str, str]:
    token = app.config.get("TEST_TOKEN")  # set once the app signs requests in; absent before
    return {"Authorization": f"Bearer {token}"} if token else {}


def _concrete(rule: str) -> list[str]:
    """A Flask rule as the paths it serves: ``any(a, b)`` expanded, other variables as ``{name}``."""
    found = re.search(r"<any\(([^)]*)\):(\w+)>", rule)
    if found:
        options = [o.strip().strip("'\"") for o in found.group(1).split(",")]
        return [p for o in options for p in _concrete(rule[: found.start()] + o + rule[found.end() :])]
    return [re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)]


def _documented(template: str, concrete: str) -> bool:
    pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"({\w+})", template))
    return re.fullmatch(pattern, concrete) is not None


def test_every_api_route_is_documented(demo_app, demo_client):
    response = demo_client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.get_json()["paths"]
    missing = []
    for rule in demo_app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/tiles/", "/healthz")):
            continue
        for concrete in _concrete(rule.rule):
            methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
            templates = [t for t in paths if _documented(t, concrete)]
            if not templates or not methods <= {m for t in templates for m in paths[t]}:
                missing.append(f"{sorted(methods)} {concrete}")
    assert not missing, f"routes missing from /api/openapi.json: {missing}"
    assert set(spec()["paths"]) == set(paths)


# The document is static, so the operations are known when the tests are collected; each test points the
# schema at its own app (its own rolled-back transaction).
schema = schemathesis.openapi.from_dict(spec())
OPERATIONS = [(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_errors(method: str, path: str, demo_app: Flask, tmp_path: Any) -> None:
    demo_app.config["JINGWANG_HOME"] = str(tmp_path)
    schema.app = demo_app
    headers = _headers(demo_app)

    operation = schema[path][method]
    modes = [operation.as_strategy(mode) for mode in schemathesis.GenerationMode]  # valid and invalid input

    @given(case=st.one_of(modes))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def fuzz(case: Any) -> None:
        response = case.call(app=demo_app, headers=headers)
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance])

    fuzz()


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/hazards", [None, None]),
        ("POST", "/api/hazards/HZ0001/transitions", [None, None]),
        ("POST", "/api/alignment/moves", {"moves": [], "tolerance": {}}),
        ("POST", "/api/alignment/proposal", {"moves": [], "precinct": [None, None]}),
        ("GET", "/api/coverage?idle_hours=17758588.0", None),
        ("GET", "/api/coverage?radius=nan", None),
    ],
)
def test_what_the_fuzzer_found_answers_400(demo_client, method, url, body):
    response = demo_client.open(url, method=method, json=body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "bad_request"
