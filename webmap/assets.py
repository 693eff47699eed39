"""Every script, stylesheet and image the pages load, served by jingwang itself (no CDN, works offline).

Leaflet and Leaflet.markercluster come from their ``xstatic`` pip packages; Leaflet.VectorGrid from its pinned npm
tarball, unpacked by ``scripts/fetch_assets.py`` into ``webmap/static/vendor``; our own files from ``static/jw``.
"""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import Blueprint, abort, send_from_directory
from werkzeug.wrappers import Response

__all__ = ["bp", "VENDOR", "VENDOR_JS", "VENDOR_CSS"]

_STATIC = Path(__file__).parent / "static"

VENDOR = {
    "leaflet": Path(xstatic.pkg.leaflet.BASE_DIR),
    "markercluster": Path(xstatic.pkg.leaflet_markercluster.BASE_DIR),
    "vectorgrid": _STATIC / "vendor" / "vectorgrid",
}

# (library, file) in load order; the pages link them through ``assets.vendor``.
VENDOR_JS = [
    ("leaflet", "leaflet.js"),
    ("markercluster", "leaflet.markercluster.js"),
    ("vectorgrid", "Leaflet.VectorGrid.bundled.min.js"),
]
VENDOR_CSS = [
    ("leaflet", "leaflet.css"),
    ("markercluster", "MarkerCluster.css"),
    ("markercluster", "MarkerCluster.Default.css"),
]

# Third-party files change only with a package upgrade: let browsers keep them for a day.
_VENDOR_MAX_AGE = 24 * 3600

bp = Blueprint("assets", __name__, url_prefix="/assets", static_folder="static/jw", static_url_path="/jw")


@bp.get("/vendor/<library>/<path:filename>")
def vendor(library: str, filename: str) -> Response:
    folder = VENDOR.get(library)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=_VENDOR_MAX_AGE)


def missing_vendor_files() -> list[str]:
    """Vendor files that are not in place (VectorGrid before ``scripts/fetch_assets.py`` ran)."""
    wanted = [*VENDOR_JS, *VENDOR_CSS]
    return [f"{lib}/{name}" for lib, name in wanted if not (VENDOR[lib] / name).is_file()]
