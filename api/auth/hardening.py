"""Security headers on every response, the per-request nonce of inline scripts, and the refusal to serve with a
development configuration."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, has_request_context

from api.config import DEFAULT_SECRET
from api.errors import JingwangError

__all__ = [
    "csp_nonce",
    "content_security_policy",
    "secure_headers",
    "check_production",
    "ConfigError",
    "home_secret_key",
]

MIN_SECRET_LENGTH = 32


class ConfigError(JingwangError):
    code = "bad_configuration"


def csp_nonce() -> str:
    """This response's nonce for the inline scripts our templates write (folium's map script)."""
    if not has_request_context():
        return ""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def _tile_origin(tile_url: str) -> str:
    """The basemap's origin for img-src; ``{s}`` subdomains become a wildcard."""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(nonce: str | None = None) -> str:
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    images = " ".join(filter(None, ["'self' data: blob:", _tile_origin(current_app.config.get("TILE_URL") or "")]))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            # Leaflet and folium set inline styles; styles cannot run code.
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(g.get("csp_nonce")))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if g.get("user") is not None:
        # Answers depend on who asks: no shared cache may keep them for someone else.
        headers.add("Vary", "Cookie, Authorization")
        if "public" in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = headers["Cache-Control"].replace("public", "private")
    return response


def home_secret_key(home: Path) -> str:
    """A random key kept in ``home/secret-key`` (mode 600): ``jingwang serve`` without JINGWANG_SECRET_KEY
    signs cookies with it, the same across restarts and processes of one home."""
    path = home / "secret-key"
    home.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _truthy(value: object) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def check_production(app: Flask) -> None:
    """Refuse to serve with the development secret key or with debug on (tests excepted)."""
    if app.testing:
        return
    key = str(app.config.get("SECRET_KEY") or "")
    if key == DEFAULT_SECRET or len(key) < MIN_SECRET_LENGTH:
        raise ConfigError(
            "JINGWANG_SECRET_KEY is not set (or shorter than 32 characters): it signs the sign-in cookies. "
            "Set it to a long random value, e.g. export JINGWANG_SECRET_KEY=$(openssl rand -hex 32)"
        )
    if app.debug or _truthy(os.environ.get("FLASK_DEBUG")):
        raise ConfigError("debug mode is on: unset FLASK_DEBUG (the debugger runs any code a visitor sends)")
