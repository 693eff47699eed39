"""Who is asking: every request resolves ``g.user`` from ``Authorization: Bearer TOKEN`` or the sign-in cookie.

Anonymous requests get 401 under /api, /tiles and /ogc and are sent to the sign-in page elsewhere. A change
(POST, PUT, PATCH, DELETE) made with the cookie must carry the session's CSRF token (``X-CSRF-Token`` header or a
``csrf_token`` form field); token requests need none, as no browser sends a bearer token by itself.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response

from api.auth.users import user_by_id, user_from_token
from api.db import get_session
from api.errors import Forbidden

__all__ = ["load_user", "csrf_token", "csrf_valid", "require_role", "sign_in", "sign_out", "MACHINE_PREFIXES"]

MACHINE_PREFIXES = ("/api/", "/tiles/", "/ogc")
# Reachable without signing in: the sign-in page, the health check, assets and the language switch.
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.login_post",
    "health.healthz",
    "assets.static",
    "assets.vendor",
    "lang.switch",
    "static",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

F = TypeVar("F", bound=Callable[..., Any])


def _machine() -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="jingwang"'
    return response


def _bearer() -> tuple[str | None, str | None]:
    """The API token sent, and the user name sent with it (Basic only); ("", None) for an unreadable header.

    ``Basic`` with the token as the password serves desktop GIS (QGIS 3.22's only header-free method is Basic);
    a sign-in password is never accepted there, so the lockout cannot be bypassed.
    """
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None, None
    if scheme.lower() == "basic":
        try:
            name, _, token = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return "", None
        return token, name or None
    return None, None


def csrf_token() -> str:
    """The session's CSRF token (made on first use); none for token requests, which need no cookie at all."""
    if g.get("auth_via") == "token":
        return ""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    token: str = session["csrf"]
    return token


def csrf_valid() -> bool:
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    wanted = session.get("csrf") or ""
    return bool(wanted) and hmac.compare_digest(str(sent), str(wanted))


def sign_in(user: Any) -> None:
    session.clear()  # a fresh session (and CSRF token) for the new identity
    session.permanent = True
    session["uid"], session["stamp"] = user.id, user.stamp


def sign_out() -> None:
    session.clear()


def _resolve() -> Response | None:
    token, name = _bearer()
    if token is not None:
        g.user = user_from_token(get_session(), token)
        g.auth_via = "token"
        if g.user is not None and name is not None and name != g.user.name:
            g.user = None
        if g.user is None:
            return _error(401, "unauthorized", "the API token is invalid, revoked, or its user is disabled")
    elif "uid" in session:
        g.user = user_by_id(get_session(), int(session["uid"]), str(session.get("stamp", "")))
        g.auth_via = "session"
        if g.user is None:
            session.clear()
    return None


def load_user() -> Response | None:
    """The app's ``before_request``: resolve the user, refuse the anonymous, check CSRF on cookie changes."""
    g.user, g.auth_via = None, None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    refused = _resolve()
    if refused is not None:
        return refused
    if g.user is None:
        if _machine() or request.method != "GET":
            return _error(401, "unauthorized", "sign in, or send Authorization: Bearer TOKEN")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if request.method in UNSAFE_METHODS and g.auth_via == "session" and not csrf_valid():
        return _error(403, "csrf_failed", "the form is out of date (CSRF token missing or wrong): reload the page")
    return None


def require_role(*roles: str) -> Callable[[F], F]:
    """Route decorator: only users with one of ``roles``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = g.get("user")
            if user is None or user.role not in roles:
                raise Forbidden(f"only {', '.join(roles)} may do this")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
