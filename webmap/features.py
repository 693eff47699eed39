"""Which optional JSON APIs this server has: the pages switch their views on or off by what is registered."""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

__all__ = ["OPTIONAL_APIS", "available_apis"]

# name -> a path that the API answers (with GET, or POST for those in _POSTED; parameters aside)
OPTIONAL_APIS = {
    "alignment": "/api/alignment",
    "alignment_gaps": "/api/alignment/gaps.geojson",
    "alignment_overlaps": "/api/alignment/overlaps.geojson",
    "alignment_split": "/api/alignment/split-grids.geojson",
    "alignment_proposal": "/api/alignment/proposal",
    "alignment_apply": "/api/alignment/apply",
    "alignment_moves": "/api/alignment/moves",
    "coverage": "/api/coverage",
    "key_places": "/api/key-places",
    "hazards": "/api/hazards",
    "reports": "/api/reports/coverage.xlsx",
}


_POSTED = {"/api/alignment/proposal", "/api/alignment/apply", "/api/alignment/moves"}


def _answers(app: Flask, path: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path, method="POST" if path in _POSTED else "GET")
    except RequestRedirect:
        return True  # the route is there, with or without a trailing slash
    except HTTPException:
        return False
    return True


def available_apis(app: Flask) -> dict[str, str | None]:
    """Each optional API's path when the app serves it, else None."""
    return {name: (path if _answers(app, path) else None) for name, path in OPTIONAL_APIS.items()}
