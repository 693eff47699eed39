"""``/api/alignment``: the document, its findings as GeoJSON, manual moves, proposals and workload."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from api.auth import audit
from api.db import get_session
from api.errors import BadRequest
from api.params import parse_time, parse_tolerance
from api.services import alignment as service

bp = Blueprint("alignment", __name__, url_prefix="/api/alignment")


def _cache() -> service.StateCache:
    cache: service.StateCache = current_app.extensions.setdefault("jingwang", {}).setdefault(
        "alignment", service.StateCache()
    )
    return cache


def _params() -> dict[str, Any]:
    return {
        "tolerance": parse_tolerance(request.args.get("tolerance")),
        "precinct": request.args.get("precinct") or None,
        "as_of": parse_time(request.args.get("as_of"), "as_of"),
        "cache": _cache(),
    }


@bp.get("")
def document() -> Any:
    return jsonify(service.alignment(get_session(), **_params()))


@bp.get("/<any(gaps, overlaps, 'split-grids'):kind>.geojson")
def geojson(kind: str) -> Response:
    doc = service.findings(get_session(), kind, **_params())
    return Response(current_app.json.dumps(doc), mimetype="application/geo+json")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest('send a JSON object, e.g. {"moves": [{"grid": "G1", "district": "D2"}]}')
    return body


def _body_precinct(body: dict[str, Any]) -> str | None:
    precinct = body.get("precinct") or None
    if precinct is not None and not isinstance(precinct, str):
        raise BadRequest(f"precinct must be a precinct code (text), got {precinct!r}")
    return precinct


def _steps(body: dict[str, Any]) -> list[dict[str, str]]:
    steps = body.get("moves")
    if steps is None and "grid" in body:
        steps = [{"grid": body["grid"], "district": body.get("district")}]
    if not isinstance(steps, list) or not all(
        isinstance(s, dict) and s.get("grid") and s.get("district") for s in steps
    ):
        raise BadRequest('moves must be a list of {"grid": code, "district": code}')
    return steps


@bp.post("/moves")
def moves() -> Any:
    """Re-evaluate after moving grids into districts (nothing is written)."""
    body = _body()
    _, _, changed = service.moves(
        get_session(),
        _steps(body),
        tolerance=parse_tolerance(body.get("tolerance")),
        precinct=_body_precinct(body),
        cache=_cache(),
    )
    return jsonify(changed)


def _proposal(body: dict[str, Any]) -> dict[str, Any]:
    return service.proposal(
        get_session(),
        tolerance=parse_tolerance(body.get("tolerance")),
        precinct=_body_precinct(body),
        steps=_steps(body) if body.get("moves") else None,
        cache=_cache(),
    )


@bp.post("/proposal")
def proposal() -> Any:
    """The snap proposal (after optional moves), with the proposed districts as GeoJSON."""
    result = _proposal(_body() if request.data else {})
    frame = result.pop("geometries")
    result["geojson"] = current_app.json.loads(frame.to_json(drop_id=True))
    return jsonify(result)


@bp.post("/apply")
def apply() -> Any:
    """Write the proposal (after optional moves) as a new district version."""
    body = _body() if request.data else {}
    result = _proposal(body)
    steps = _steps(body) if body.get("moves") else None
    written = service.apply_proposal(get_session(), result, user=audit.actor(), moves=steps)
    return jsonify({**written, "districts_report": result["districts"]}), 201


@bp.get("/workload")
def workload() -> Any:
    params = _params()
    return jsonify(
        service.workload_doc(
            get_session(),
            precinct=params["precinct"],
            tolerance=params["tolerance"],
            cache=params["cache"],
            start=parse_time(request.args.get("from"), "from"),
            end=parse_time(request.args.get("to"), "to"),
        )
    )
