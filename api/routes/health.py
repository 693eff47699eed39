"""``/healthz``: is the database reachable, and which PostgreSQL and PostGIS does it run."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from api.db import get_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    session = get_session()
    row = session.execute(
        text("SELECT current_setting('server_version') AS pg, postgis_lib_version() AS postgis")
    ).one()
    return jsonify({"status": "ok", "database": f"PostgreSQL {row.pg}", "postgis": row.postgis})
