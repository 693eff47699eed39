"""``GET /api/export/{layer}.{gpkg|shp.zip|kml|geojson}?as_of=&precinct=&encoding=``: a layer (or the alignment
findings) as a file."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, Response, current_app, request

from api.db import get_session
from api.params import parse_time
from api.scope import read_precinct
from api.services import alignment, export

bp = Blueprint("export", __name__, url_prefix="/api/export")

_EXT = {"gpkg": "gpkg", "shp.zip": "shp", "kml": "kml", "geojson": "geojson"}
MIMETYPES = {
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
    "kml": "application/vnd.google-earth.kml+xml",
    "geojson": "application/geo+json",
}


@bp.get(
    "/<any(precincts, districts, grids, 'key-places', hazards, incidents, 'split-grids', gaps, overlaps):layer>"
    ".<any(gpkg, 'shp.zip', kml, geojson):ext>"
)
def download(layer: str, ext: str) -> Response:
    fmt = _EXT[ext]
    as_of = parse_time(request.args.get("as_of"), "as_of")
    precinct = read_precinct(request.args.get("precinct") or None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{layer}.{ext}"
        export.export_layer(
            get_session(),
            layer,
            fmt,
            path,
            as_of=as_of,
            precinct=precinct,
            encoding=request.args.get("encoding") or "UTF-8",
            cache=current_app.extensions.setdefault("jingwang", {}).setdefault("alignment", alignment.StateCache()),
        )
        data = path.read_bytes()
    name = f"{layer}{'-' + precinct if precinct else ''}{'-' + as_of.date().isoformat() if as_of else ''}.{ext}"
    response = Response(data, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
