"""``GET /api/me`` (who the token or cookie is) and ``GET /api/audit`` (the audit log; admin only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from api.auth.audit import list_audit
from api.auth.guard import require_role
from api.db import get_session
from api.errors import BadRequest
from api.params import parse_time

bp = Blueprint("account", __name__, url_prefix="/api")


@bp.get("/me")
def me() -> Any:
    user = g.user
    return {"name": user.name, "role": user.role, "precinct": user.precinct}


@bp.get("/audit")
@require_role("admin")
def audit() -> Any:
    raw = request.args.get("limit") or "200"
    if not raw.isdigit() or not 1 <= int(raw) <= 5000:
        raise BadRequest(f"limit must be 1–5000, got {raw!r}")
    rows = list_audit(
        get_session(),
        action=request.args.get("action") or None,
        user=request.args.get("user") or None,
        since=parse_time(request.args.get("since"), "since"),
        limit=int(raw),
    )
    return {"audit": rows}
