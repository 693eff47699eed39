"""Domain errors. Each carries its HTTP status; one handler renders them as JSON for ``/api/*``."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from geo.errors import GeoError

__all__ = [
    "JingwangError",
    "ClusterError",
    "DatabaseError",
    "BadRequest",
    "NotFound",
    "Forbidden",
    "init_app",
]


class JingwangError(Exception):
    """Base of every error a user may see. ``status`` is the HTTP status; ``code`` a stable name."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class ClusterError(JingwangError):
    """The embedded PostgreSQL cluster cannot be created, started or stopped."""

    status = 503
    code = "database_unavailable"


class DatabaseError(JingwangError):
    """The database is reachable but not usable (e.g. PostGIS missing or too old)."""

    status = 503
    code = "database_unusable"


class BadRequest(JingwangError):
    status = 400
    code = "bad_request"


class NotFound(JingwangError):
    status = 404
    code = "not_found"


class Forbidden(JingwangError):
    """The user is known but may not see or change this (another precinct, a read-only role)."""

    status = 403
    code = "forbidden"


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/tiles/")) or request.path == "/healthz"


def init_app(app: Flask) -> None:
    @app.errorhandler(JingwangError)
    def _domain(exc: JingwangError) -> Any:
        return jsonify(exc.to_dict()), exc.status

    @app.errorhandler(GeoError)
    def _geo(exc: GeoError) -> Any:
        return jsonify({"error": {"code": "invalid_data", "message": str(exc)}}), 422

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _unreachable(_exc: Exception) -> Any:
        # The server is down, restarting or dropped the connection: say so at once; the pool reconnects
        # (pre-ping) on the next request, so the service recovers without a restart.
        message = "the database is not reachable right now; try again in a few seconds"
        if not _wants_json():
            return message, 503, {"Retry-After": "5"}
        return jsonify({"error": {"code": "database_unavailable", "message": message}}), 503, {"Retry-After": "5"}

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if not _wants_json():
            return exc
        name = (exc.name or "error").lower().replace(" ", "_")
        return jsonify({"error": {"code": name, "message": exc.description}}), exc.code
