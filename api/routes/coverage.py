"""``GET /api/coverage?from=&to=&radius=&precinct=&idle_hours=&tz=``: the patrol coverage document."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, request

from api.db import get_session
from api.errors import BadRequest
from api.params import parse_number
from api.services.coverage import coverage_document
from geo.coverage import DEFAULT_RADIUS_M
from geo.errors import GeoError
from geo.times import parse_instant

bp = Blueprint("coverage", __name__, url_prefix="/api")


def float_arg(name: str, default: float | None, maximum: float = 1e6) -> float | None:
    return parse_number(request.args.get(name), name, default, maximum)


def window_args(default_hours: float = 24.0) -> tuple[Any, Any, str | None]:
    """``from``/``to`` (ISO; naive = ``tz``, default Asia/Shanghai); by default the last ``default_hours``."""
    tz = request.args.get("tz") or None
    try:
        end = parse_instant(request.args.get("to"), tz)
        start = parse_instant(request.args.get("from"), tz)
    except GeoError as exc:
        raise BadRequest(str(exc)) from None
    if end is None:
        end = datetime.now(timezone.utc)
    if start is None:
        start = end - timedelta(hours=default_hours)
    return start, end, tz


@bp.get("/coverage")
def coverage() -> Any:
    start, end, tz = window_args()
    doc = coverage_document(
        get_session(),
        start,
        end,
        radius=float_arg("radius", DEFAULT_RADIUS_M, 10_000) or DEFAULT_RADIUS_M,
        precinct=request.args.get("precinct") or None,
        idle_hours=float_arg("idle_hours", None, 24 * 366 * 10),
        timezone=tz,
    )
    return doc
