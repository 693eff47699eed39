"""Responses of the OGC API: JSON by default, HTML for ``?f=html`` or a browser's ``Accept``; links."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Response, render_template, request, url_for

from api.errors import BadRequest

__all__ = ["wants_html", "link", "self_links", "url", "respond", "JSON", "GEOJSON", "HTML"]

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
_FORMATS = {"json": False, "geojson": False, "html": True}


def wants_html() -> bool:
    asked = request.args.get("f")
    if asked:
        if asked.lower() not in _FORMATS:
            raise BadRequest(f"f must be json or html, got {asked!r}")
        return _FORMATS[asked.lower()]
    return request.accept_mimetypes.best_match([JSON, GEOJSON, HTML]) == HTML


def url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def link(href: str, rel: str, type_: str, title: str = "", **extra: Any) -> dict[str, Any]:
    out = {"href": href, "rel": rel, "type": type_, **extra}
    if title:
        out["title"] = title
    return out


def _with(args: dict[str, str]) -> str:
    return request.base_url + ("?" + urlencode(args) if args else "")


def self_links(json_type: str = JSON) -> list[dict[str, Any]]:
    """``self`` and ``alternate`` for this URL, keeping its query parameters."""
    args = {k: v for k, v in request.args.items() if k != "f"}
    html = wants_html()
    as_json = link(_with({**args, "f": "json"}), "alternate" if html else "self", json_type, "JSON")
    as_html = link(_with({**args, "f": "html"}), "self" if html else "alternate", HTML, "HTML")
    return [as_html, as_json] if html else [as_json, as_html]


def page_link(rel: str, offset: int, json_type: str) -> dict[str, Any]:
    args = {k: v for k, v in request.args.items() if k != "f"}
    args["offset"] = str(offset)
    if wants_html():
        args["f"] = "html"
        return link(_with(args), rel, HTML)
    return link(_with(args), rel, json_type)


def respond(
    doc: dict[str, Any] | str, kind: str, json_type: str = JSON, headers: dict[str, str] | None = None, title: str = ""
) -> Response:
    """``doc`` as JSON (a dict, or JSON text already made by PostGIS) or as the HTML page of ``kind``."""
    if wants_html():
        data = json.loads(doc) if isinstance(doc, str) else doc
        body = render_template("ogc/page.html", kind=kind, doc=data, title=title or data.get("title", "jingwang"))
        response = Response(body, mimetype=HTML)
    else:
        text = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
        response = Response(text, mimetype=json_type)
    response.headers.update(headers or {})
    return response
