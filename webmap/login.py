"""The sign-in page and signing out (the session cookie); scripts use API tokens instead."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from api.auth import audit
from api.auth.guard import csrf_token, csrf_valid, sign_in, sign_out
from api.auth.users import LOCK_MINUTES, LoginFailed, authenticate
from api.db import get_session
from webmap.i18n import LANGUAGES, current_language, safe_next

__all__ = ["bp"]

bp = Blueprint("auth", __name__, template_folder="templates")


def _page(error: str = "", status: int = 200, name: str = "") -> tuple[str, int]:
    language = current_language()
    other = next(code for code in LANGUAGES if code != language)
    here = url_for("auth.login", next=request.args.get("next") or None)
    context = {
        "language": language,
        "other_language": (other, LANGUAGES[other]),
        "lang_href": url_for("lang.switch", language=other, next=here),
        "error": error,
        "name": name,
        "next": safe_next(request.values.get("next")),
        "csrf": csrf_token(),
    }
    return render_template("login.html", **context), status


@bp.get("/login")
def login() -> tuple[str, int]:
    return _page()


@bp.post("/login")
def login_post() -> Response | tuple[str, int]:
    name = (request.form.get("name") or "").strip()[:64]
    if not csrf_valid():
        return _page(_("The form had expired. Please sign in again."), 400, name)
    try:
        user = authenticate(get_session(), name, request.form.get("password") or "")
    except LoginFailed as exc:
        if exc.details.get("locked"):
            return _page(_("Too many failed sign-ins. Try again in %(minutes)s minutes.", minutes=LOCK_MINUTES), 429)
        return _page(_("Wrong user name or password."), 401, name)
    sign_in(user)
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    session = get_session()
    audit.record(session, "logout", g.user.name)
    session.commit()
    sign_out()
    return redirect(url_for("auth.login"))
