"""Hazards: list (GeoJSON), report, one with its events, lifecycle transitions, the ledger, the SLA."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request, send_from_directory
from werkzeug.utils import secure_filename

from api.db import get_session
from api.errors import BadRequest, NotFound
from api.scope import check_read, scope_precinct
from api.services import hazard_queries, hazards, settings
from api.services.boundaries import parse_bbox
from api.services.ledger import ledger_workbook

bp = Blueprint("hazards", __name__, url_prefix="/api/hazards")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic"}


def _photo_dir() -> Path:
    return Path(current_app.config["JINGWANG_HOME"]) / "uploads" / "hazards"


def _flag(name: str) -> bool | None:
    raw = (request.args.get(name) or "").lower()
    if raw == "":
        return None
    return raw in ("1", "true", "yes")


@bp.get("")
def index() -> Any:
    return hazard_queries.hazard_feature_collection(
        get_session(),
        state=request.args.get("state") or None,
        precinct=request.args.get("precinct") or None,
        grid=request.args.get("grid") or None,
        overdue=_flag("overdue"),
        bbox=parse_bbox(request.args.get("bbox")),
    )


def _save_photos() -> list[str]:
    names = []
    for upload in request.files.getlist("photos"):
        suffix = Path(upload.filename or "").suffix.lower()
        if suffix not in PHOTO_SUFFIXES:
            raise BadRequest(f"photo {upload.filename!r}: send JPEG, PNG, WebP, GIF or HEIC images")
        name = f"{uuid.uuid4().hex}{suffix}"
        _photo_dir().mkdir(parents=True, exist_ok=True)
        upload.save(_photo_dir() / name)
        names.append(name)
    return names


@bp.post("")
def create() -> Any:
    body = request.get_json(silent=True) or request.form.to_dict()
    if not isinstance(body, dict):
        raise BadRequest('send a JSON object: {"title": …, "lon": …, "lat": …}')
    given = body.get("photos")
    photos = [str(p) for p in given] if isinstance(given, list) else []
    photos += _save_photos()
    doc = hazards.create_hazard(
        get_session(),
        title=str(body.get("title") or ""),
        lon=body.get("lon"),
        lat=body.get("lat"),
        category=body.get("category") or None,
        severity=body.get("severity"),
        description=body.get("description") or None,
        reporter=body.get("reporter") or None,
        photos=photos,
        coords=str(body.get("coords") or "wgs84"),
    )
    return doc, 201


@bp.get("/ledger.xlsx")
def ledger() -> Response:
    data = ledger_workbook(get_session(), precinct=request.args.get("precinct") or None)
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = "attachment; filename=hazard-ledger.xlsx"
    return response


@bp.get("/sla")
def sla() -> Any:
    return {"hours": settings.get_setting(get_session(), "hazard_sla_hours")}


@bp.get("/<code>")
def show(code: str) -> Any:
    return hazard_queries.get_hazard(get_session(), code)


@bp.post("/<code>/transitions")
def move(code: str) -> Any:
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict) or not body.get("to"):
        raise BadRequest('send {"to": state, "note": …, "actor": …}')
    return hazards.transition(
        get_session(),
        code,
        str(body["to"]),
        actor=body.get("actor") or None,
        note=body.get("note") or None,
        assignee=body.get("assignee") or None,
    )


@bp.get("/photos/<name>")
def photo(name: str) -> Response:
    safe = secure_filename(name)
    listed, precinct = hazard_queries.photo_precinct(get_session(), safe)
    if safe != name or not (_photo_dir() / safe).is_file() or (scope_precinct() and not listed):
        raise NotFound(f"no photo {name!r}")
    check_read(precinct, f"photo {name!r}")
    return send_from_directory(_photo_dir(), safe)
