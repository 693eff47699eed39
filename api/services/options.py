"""What every import takes, boundary or point layer alike (the CLI flags and the upload form fields)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ImportOptions", "BOUNDARY_LAYERS", "POINT_LAYERS", "IMPORT_LAYERS"]

BOUNDARY_LAYERS = ("precincts", "districts", "grids")
POINT_LAYERS = ("key-places", "patrols", "hazards", "incidents")
IMPORT_LAYERS = BOUNDARY_LAYERS + POINT_LAYERS


@dataclass
class ImportOptions:
    code_field: str | None = None
    name_field: str | None = None
    parent_field: str | None = None
    layer: str | None = None  # the layer inside a GeoPackage/KML with several
    crs: str | None = None  # overrides the file's CRS, e.g. "EPSG:4490"
    encoding: str | None = None  # overrides the DBF/CSV text encoding
    coords: str = "wgs84"  # wgs84 | gcj02 | bd09: the lon/lat flavour of the file
    mode: str = "replace"  # replace | append
    precinct: str | None = None  # limit a replace to one precinct
    user: str = "cli"
    timezone: str = "Asia/Shanghai"  # for times written without a zone
    max_bytes: int = 200 * 2**20
    history: Path | None = None  # hazards: each one's earlier steps (see geo.hazard_history)
