"""Accounts and access: users and roles, API tokens, the sign-in cookie with CSRF, the audit log, security headers.

``init_app(app)`` installs one ``before_request`` hook (who is asking, see :mod:`api.auth.guard`), the security
headers and what templates need (``csrf_token()``, ``csp_nonce()``, ``current_user``). What a user may see and
change is decided by :mod:`api.scope` in the services.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Flask, g

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    from api.auth import guard, hardening
    from api.routes import account

    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Behind HTTPS set JINGWANG_SECURE_COOKIES=1: the cookie then never travels in clear text.
        SESSION_COOKIE_SECURE=os.environ.get("JINGWANG_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    app.before_request(guard.load_user)
    app.after_request(hardening.secure_headers)
    app.register_blueprint(account.bp)

    # Globals, not context: macros imported without context (the map's) see them too.
    app.jinja_env.globals.update(csrf_token=guard.csrf_token, csp_nonce=hardening.csp_nonce)

    @app.context_processor
    def _template_helpers() -> dict[str, Any]:
        return {"current_user": g.get("user")}
