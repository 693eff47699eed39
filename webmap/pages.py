"""The pages: map (home), alignment view, upload, hazards list, reports. Data comes from :mod:`api.services`
(embedded in the page) or the JSON API (fetched by the page's scripts)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _

from api.db import get_session
from api.scope import read_precinct
from api.services import mapdata
from api.services.boundaries import current_counts
from api.services.options import IMPORT_LAYERS
from webmap.features import available_apis
from webmap.i18n import LANGUAGES, current_language, js_messages
from webmap.mapbuild import DEFAULT_VIEW, View, build_map, map_parts

bp = Blueprint("pages", __name__, template_folder="templates")


GRID_STYLES = ("plain", "status", "coverage", "hazards", "keyplaces")
MAP_LAYERS = ("precincts", "districts", "grids", "labels", "keyplaces", "hazards", "incidents", "patrols")
DEFAULT_LAYERS = ("precincts", "districts", "grids", "labels")
NAV = [  # endpoint, label
    ("pages.map_page", "Map"),
    ("pages.alignment", "Alignment"),
    ("pages.upload", "Upload"),
    ("pages.hazards", "Hazards"),
    ("pages.reports", "Reports"),
]


def _arg_float(name: str, low: float, high: float) -> float | None:
    try:
        value = float(request.args.get(name, ""))
    except ValueError:
        return None
    return value if low <= value <= high else None


def _arg_date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _window(window: dict[str, str | None]) -> tuple[str, str]:
    """The patrol window: from the URL, else the 7 days up to the last stored patrol (or up to today)."""
    last = window.get("last_patrol_at")
    end = datetime.fromisoformat(last).date() + timedelta(days=1) if last else date.today() + timedelta(days=1)
    start = end - timedelta(days=7)
    start, end = _arg_date("from") or start, _arg_date("to") or end
    return start.isoformat(), end.isoformat()


def _view(precincts: list[dict[str, Any]]) -> tuple[View, bool]:
    """The map's opening view from the URL (z, lat, lng); else a guess and ``fit`` = let the page fit the data."""
    zoom, lat, lng = _arg_float("z", 3, 19), _arg_float("lat", -85, 85), _arg_float("lng", -180, 180)
    if zoom is not None and lat is not None and lng is not None:
        return View(lat=lat, lng=lng, zoom=int(zoom)), False
    if not precincts:
        return DEFAULT_VIEW, True
    boxes = [p["bbox"] for p in precincts]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return View(lat=(y0 + y1) / 2, lng=(x0 + x1) / 2, zoom=10), True


def _base_context(page: str, title: str, precincts: list[dict[str, Any]], extra: dict[str, Any]) -> dict[str, Any]:
    language = current_language()
    other = next(code for code in LANGUAGES if code != language)
    codes = {p["code"] for p in precincts}
    precinct = read_precinct(request.args.get("precinct") or None) or ""  # another precinct than one's own: 403
    config = {
        "page": page,
        "lang": language,
        "precincts": precincts,
        "precinct": precinct if precinct in codes else "",
        **extra,
    }
    config["urls"] = {**extra.get("urls", {}), "langSwitch": url_for("lang.switch", language=other)}
    return {
        "page": page,
        "title": title,
        "nav": [(endpoint, _(label)) for endpoint, label in NAV],
        "language": language,
        "other_language": (other, LANGUAGES[other]),
        "precincts": precincts,
        "precinct": config["precinct"],
        "config": config,
        "messages": js_messages(),
    }


def _map_context(page: str, title: str) -> dict[str, Any]:
    session = get_session()
    precincts = mapdata.precinct_index(session)
    view, fit = _view(precincts)
    cfg = current_app.config
    parts = map_parts(build_map(view, cfg.get("TILE_URL", ""), _("Basemap"), cfg["BASEMAP_COORDS"]))
    start, end = _window(mapdata.data_window(session))
    layers = [name for name in request.args.get("layers", ",".join(DEFAULT_LAYERS)).split(",") if name in MAP_LAYERS]
    style = request.args.get("style", "")
    tile = url_for("tiles.tile", layer="grids", z=0, x=0, y=0).replace("/grids/0/0/0.pbf", "/{layer}/{z}/{x}/{y}.pbf")
    apis = available_apis(current_app)
    extra = {
        "map": parts.name,
        "basemapCoords": cfg["BASEMAP_COORDS"],
        "versions": mapdata.layer_versions(session),
        "apis": apis,
        "view": {
            "fit": fit,
            "style": style if style in GRID_STYLES else ("status" if page == "alignment" else "hazards"),
            "layers": layers,
            "from": start,
            "to": end,
            "grid": request.args.get("grid", ""),
            "tolerance": tolerance if (tolerance := _arg_float("tolerance", 0, 0.5)) is not None else 0.01,
            "gridMinZoom": mapdata.grid_min_zoom(session),
        },
        "urls": _api_urls(tile, apis),
    }
    context = _base_context(page, title, precincts, extra)
    context["map"] = parts
    return context


def _api_urls(tile: str, apis: dict[str, str | None]) -> dict[str, str]:
    """Where the scripts fetch data; the point layers prefer the operations APIs when this server has them."""
    return {
        "tiles": tile,
        "gridFigures": url_for("mapdata.grid_figures"),
        "grid": url_for("mapdata.grid", code="CODE"),
        "search": url_for("mapdata.search"),
        "labels": url_for("mapdata.labels", layer_name="LAYER"),
        "keyPlaces": url_for("points.key_places"),
        "hazards": url_for("hazards.index"),
        "patrols": url_for("mapdata.patrols"),
        "incidents": url_for("points.incidents"),
        "hazardsPage": url_for("pages.hazards"),
        "mapPage": url_for("pages.map_page"),
    }


def _render(template: str, context: dict[str, Any]) -> str:
    # The language switch keeps the page: the scripts refresh ``next`` as the view changes.
    switch = context["config"]["urls"]["langSwitch"]
    context["lang_href"] = f"{switch}?next={quote(request.full_path.rstrip('?'), safe='')}"
    return render_template(template, **context)


@bp.get("/")
def map_page() -> str:
    return _render("map.html", _map_context("map", _("Map")))


@bp.get("/alignment")
def alignment() -> str:
    return _render("alignment.html", _map_context("alignment", _("Alignment")))


@bp.get("/upload")
def upload() -> str:
    context = _map_context("upload", _("Upload"))
    context["config"].update(
        layers=list(IMPORT_LAYERS),
        maxUploadBytes=current_app.config.get("MAX_UPLOAD_BYTES"),
    )
    context["config"]["urls"].update(preview=url_for("imports.preview"), imports=url_for("imports.create"))
    context["import_layers"] = IMPORT_LAYERS
    return _render("upload.html", context)


@bp.get("/hazards")
def hazards() -> str:
    precincts = mapdata.precinct_index(get_session())
    extra = {
        "filters": {k: request.args.get(k, "") for k in ("state", "grid", "overdue")},
        "urls": {
            "hazards": url_for("hazards.index"),
            "mapPage": url_for("pages.map_page"),
        },
    }
    extra["filters"]["hazard"] = request.args.get("hazard", "")
    context = _base_context("hazards", _("Hazards"), precincts, extra)
    return _render("hazards.html", context)


@bp.get("/reports")
def reports() -> str:
    session = get_session()
    precincts = mapdata.precinct_index(session)
    start, end = _window(mapdata.data_window(session))
    extra = {
        "window": {"from": start, "to": end},
        "apis": available_apis(current_app),
        "urls": {"stats": url_for("mapdata.district_stats"), "mapPage": url_for("pages.map_page")},
    }
    context = _base_context("reports", _("Reports"), precincts, extra)
    context.update(counts=current_counts(session))
    return _render("reports.html", context)
