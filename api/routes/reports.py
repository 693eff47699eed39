"""``GET /api/reports/coverage.{xlsx,csv,pdf,geojson}?precinct=&from=&to=&lang=&tz=``: the coverage report."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from api.db import get_session
from api.errors import BadRequest
from api.params import parse_time
from api.scope import read_precinct
from api.services import alignment as alignment_service
from api.services.reports import FORMATS, LANGS, build_report, default_window, file_name, render

bp = Blueprint("reports", __name__, url_prefix="/api/reports")


def _cache() -> alignment_service.StateCache:
    # The same cache as /api/alignment: a report after the alignment view reuses its state.
    cache: alignment_service.StateCache = current_app.extensions.setdefault("jingwang", {}).setdefault(
        "alignment", alignment_service.StateCache()
    )
    return cache


def _disposition(ascii_name: str, local_name: str) -> str:
    """``attachment`` with an ASCII name and, per RFC 5987, the Chinese one for browsers that read it."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(local_name)}"


@bp.get("/coverage.<fmt>")
def coverage(fmt: str) -> Response:
    if fmt not in FORMATS:
        raise BadRequest(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    lang = request.args.get("lang") or "zh"
    if lang not in LANGS:
        raise BadRequest(f"lang must be zh or en, got {lang!r}")
    tz = request.args.get("tz") or None
    session = get_session()
    end = parse_time(request.args.get("to"), "to") or default_window(session, tz)[1]
    start = parse_time(request.args.get("from"), "from") or end - timedelta(days=7)
    precinct = read_precinct(request.args.get("precinct") or None)
    report = build_report(session, start, end, precinct=precinct, timezone_name=tz, cache=_cache())
    body = render(report, fmt, lang)
    response = Response(body, content_type=FORMATS[fmt][0])
    response.headers["Content-Disposition"] = _disposition(file_name(report, fmt), file_name(report, fmt, "zh"))
    response.headers["X-Report-SHA256"] = report.meta["hash"]
    response.headers["Cache-Control"] = "no-store"
    return response
