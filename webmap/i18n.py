"""Chinese by default, English by a switch: Flask-Babel with the catalogue kept as a ``.po`` file.

Message ids are English; ``translations/zh/LC_MESSAGES/messages.po`` holds the Chinese. It is compiled in memory
on first use (no build step, no binary ``.mo`` in the repository). The page's scripts get their strings through
:func:`js_messages`, embedded as JSON.
"""

from __future__ import annotations

from functools import cached_property
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from babel import support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, make_response, redirect, request
from flask_babel import Babel, Domain, get_locale, gettext
from werkzeug.wrappers import Response

from webmap.messages import JS_MESSAGES

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "init_app", "current_language", "js_messages", "safe_next", "bp"]

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"
COOKIE = "jw_lang"
CATALOGUES = Path(__file__).parent / "translations"

bp = Blueprint("lang", __name__)


def load_catalogue(language: str) -> support.NullTranslations:
    """The compiled catalogue of ``language``; English (the message ids) needs none."""
    po = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return support.NullTranslations()
    with po.open("rb") as f:
        catalogue = read_po(f, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return support.Translations(buffer)


class CatalogueDomain(Domain):
    """A Flask-Babel domain reading our ``.po`` catalogues, one compiled copy per language per process."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: dict[str, support.NullTranslations] = {}

    def get_translations(self) -> support.NullTranslations:
        language = current_language()
        if language not in self.loaded:
            self.loaded[language] = load_catalogue(language)
        return self.loaded[language]


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return CatalogueDomain()


def select_language() -> str:
    """``?lang=`` for this request, else the switch's cookie, else Chinese."""
    for value in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if value in LANGUAGES:
            return value
    return DEFAULT_LANGUAGE


def current_language() -> str:
    locale = get_locale()
    language = locale.language if locale is not None else DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def js_messages() -> dict[str, str]:
    """Every string the page scripts show, in the request's language."""
    return {msgid: gettext(msgid) for msgid in JS_MESSAGES}


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or ``http://…``): redirects here are never open redirects."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or urlsplit(target).netloc:
        return "/"
    return target


@bp.get("/lang/<language>")
def switch(language: str) -> Response:
    response = make_response(redirect(safe_next(request.args.get("next"))))
    if language in LANGUAGES:
        response.set_cookie(COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    _Babel(app, default_locale=DEFAULT_LANGUAGE, locale_selector=select_language)
    app.register_blueprint(bp)
