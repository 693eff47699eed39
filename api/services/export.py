"""Export a stored layer (current, or as of a moment) as GeoPackage, zipped Shapefile, KML or GeoJSON.

Features carry the same properties as the API and the OGC collections (``code``, ``name``, the layer's columns,
the source file's attributes, flattened); features without a position (some incidents) cannot go into a map file
and are left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.errors import BadRequest
from api.services.sources import FINDINGS, SOURCES, Source, get_source
from api.services.store import version_clause
from geo import export as writer

__all__ = ["EXPORT_LAYERS", "Exported", "layer_frame", "export_layer"]

EXPORT_LAYERS = tuple(name for name in SOURCES if name not in FINDINGS)


@dataclass(frozen=True)
class Exported:
    path: Path
    features: int
    format: str


def _source(layer: str) -> Source:
    if layer not in EXPORT_LAYERS:
        get_source(layer)  # 404 for names that are no collection at all
        raise BadRequest(f"{layer} cannot be exported: use one of {', '.join(EXPORT_LAYERS)}")
    return SOURCES[layer]


def layer_frame(
    session: Session, layer: str, as_of: datetime | None = None, precinct: str | None = None
) -> gpd.GeoDataFrame:
    """The layer's features as a GeoDataFrame (EPSG:4326): boundaries as they stood at ``as_of``; hazards and
    incidents reported or occurred by then. ``precinct`` limits them to one precinct."""
    source = _source(layer)
    params: dict[str, object] = {}
    if source.versioned:
        cond, params = version_clause(as_of)
    elif as_of is None:
        cond = "TRUE"
    elif source.time is None:
        raise BadRequest(f"{layer} keep no history: export them without as_of")
    else:
        cond, params = f"{source.time} <= :as_of", {"as_of": as_of}
    if precinct:
        cond += f" AND {source.precinct} = :precinct"
        params["precinct"] = precinct
    sql = (
        f"SELECT ({source.props})::text, ST_AsBinary(t.geom) FROM {source.table} t"
        f" WHERE {cond} AND t.geom IS NOT NULL ORDER BY {source.order}"
    )
    rows = session.execute(text(sql), params).all()
    records = [json.loads(row[0]) for row in rows]
    return writer.to_frame(records, shapely.from_wkb([bytes(row[1]) for row in rows]))


def export_layer(
    session: Session,
    layer: str,
    fmt: str,
    path: Path,
    *,
    as_of: datetime | None = None,
    precinct: str | None = None,
    encoding: str = "UTF-8",
) -> Exported:
    """Write ``layer`` to ``path`` as ``fmt`` (gpkg, shp, kml, geojson); the file appears whole or not at all."""
    if fmt not in writer.FORMATS:
        raise BadRequest(f"unknown format {fmt!r}: use one of {', '.join(writer.FORMATS)}")
    frame = layer_frame(session, layer, as_of, precinct)
    writer.write(frame, path, fmt, layer.replace("-", "_"), encoding)
    return Exported(Path(path), len(frame), fmt)
