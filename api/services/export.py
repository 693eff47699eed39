"""Export a stored layer (current, or as of a moment) as GeoPackage, zipped Shapefile, KML or GeoJSON.

Features carry the same properties as the API and the OGC collections (``code``, ``name``, the layer's columns,
the source file's attributes, flattened); features without a position (some incidents) cannot go into a map file
and are left out. The alignment findings (split grids, gaps, overlaps) are exported as the alignment computes them
for the boundaries of then. Hazards as of a moment carry the state they were in then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import shapely
import shapely.geometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.errors import BadRequest, NotFound
from api.services import alignment
from api.services.sources import FINDINGS, SOURCES, Source, get_source
from api.services.store import version_clause
from geo import export as writer

__all__ = ["EXPORT_LAYERS", "Exported", "layer_frame", "export_layer"]

EXPORT_LAYERS = tuple(SOURCES)
# A hazard's state at a moment: the last step of its history by then (its state now when it has none).
_HAZARD_STATE_THEN = (
    " || jsonb_build_object('state', coalesce((SELECT e.to_state FROM hazard_event e WHERE e.hazard_id = t.id"
    " AND e.at <= :as_of ORDER BY e.seq DESC LIMIT 1), t.state))"
)


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


def _findings_frame(
    session: Session, layer: str, as_of: datetime | None, precinct: str | None, cache: alignment.StateCache | None
) -> gpd.GeoDataFrame:
    try:
        doc = alignment.findings(session, layer, precinct=precinct, as_of=as_of, cache=cache)
    except NotFound:
        doc = {"features": []}  # nothing to align then: no findings
    records = [f["properties"] for f in doc["features"]]
    return writer.to_frame(records, [shapely.geometry.shape(f["geometry"]) for f in doc["features"]])


def layer_frame(
    session: Session,
    layer: str,
    as_of: datetime | None = None,
    precinct: str | None = None,
    cache: alignment.StateCache | None = None,
) -> gpd.GeoDataFrame:
    """The layer's features as a GeoDataFrame (EPSG:4326): boundaries as they stood at ``as_of``; hazards
    reported by then, in the state they were in then; incidents occurred by then; the alignment findings of the
    boundaries then. ``precinct`` limits them to one precinct."""
    source = _source(layer)
    if layer in FINDINGS:
        return _findings_frame(session, layer, as_of, precinct, cache)
    params: dict[str, object] = {}
    props = source.props
    if source.versioned:
        cond, params = version_clause(as_of)
    elif as_of is None:
        cond = "TRUE"
    elif source.time is None:
        raise BadRequest(f"{layer} keep no history: export them without as_of")
    else:
        cond, params = f"{source.time} <= :as_of", {"as_of": as_of}
        if layer == "hazards":
            props = f"({props}){_HAZARD_STATE_THEN}"
    if precinct:
        cond += f" AND {source.precinct} = :precinct"
        params["precinct"] = precinct
    sql = (
        f"SELECT ({props})::text, ST_AsBinary(t.geom) FROM {source.table} t"
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
    cache: alignment.StateCache | None = None,
) -> Exported:
    """Write ``layer`` to ``path`` as ``fmt`` (gpkg, shp, kml, geojson); the file appears whole or not at all."""
    if fmt not in writer.FORMATS:
        raise BadRequest(f"unknown format {fmt!r}: use one of {', '.join(writer.FORMATS)}")
    frame = layer_frame(session, layer, as_of, precinct, cache)
    writer.write(frame, path, fmt, layer.replace("-", "_"), encoding)
    return Exported(Path(path), len(frame), fmt)
