"""Import a boundary file as a new version of a layer — or inspect it first without writing anything.

One transaction per import: the file is read, checked and repaired in :mod:`geo`, then written with the rows it
replaces closed; any error leaves the store exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import audit
from api.errors import BadRequest
from api.layers import LAYERS, Layer
from api.services.boundaries import ImportMeta, write_version
from api.services.import_scope import check_boundaries_scope, limit_options
from api.services.options import BOUNDARY_LAYERS, IMPORT_LAYERS, ImportOptions
from api.services.points import relocate_all
from api.services.store import load_layer
from geo.attributes import typed_columns
from geo.io import ReadResult, read_file
from geo.offsets import suggest_coords
from geo.validate import pick_fields, prepare_polygons

__all__ = ["Checked", "check_boundaries", "import_boundaries", "import_file", "preview"]

PREVIEW_FEATURES = 2000

Progress = Callable[[str], None]


def _quiet(_stage: str) -> None:
    pass


@dataclass
class Checked:
    """A boundary file read, validated and repaired, ready to be written."""

    layer: Layer
    read: ReadResult
    frame: gpd.GeoDataFrame
    report: dict[str, Any]
    warnings: list[str]


def check_boundaries(
    session: Session, layer_name: str, path: Path, options: ImportOptions, progress: Progress = _quiet
) -> Checked:
    """Read and validate ``path`` as ``layer_name``; raise :class:`geo.errors.GeoError` when it is unusable."""
    layer = LAYERS[layer_name]
    progress(f"reading {path.name}")
    read = read_file(
        path,
        layer=options.layer,
        crs=options.crs,
        encoding=options.encoding,
        coords=options.coords,
        max_bytes=options.max_bytes,
    )
    progress(f"checking {len(read.frame)} features")
    fields = pick_fields(read.frame, layer_name, options.code_field, options.name_field, options.parent_field)
    prepared = prepare_polygons(read.frame, fields)
    frame = _typed(prepared.frame, layer)
    warnings = [*read.warnings, *prepared.report.get("warnings", [])]
    if options.coords == "wgs84":
        hint = suggest_coords(frame.geometry.values, _reference(session, layer_name))
        if hint is not None:
            warnings.append(hint.message(read.file_name))
    return Checked(layer, read, frame, prepared.report, warnings)


def _typed(frame: gpd.GeoDataFrame, layer: Layer) -> gpd.GeoDataFrame:
    renames = {src: typed for src, typed in typed_columns(frame, layer.name).items() if typed not in frame}
    if "parent" in frame and layer.parent_column:
        frame = frame.drop(columns=[layer.parent_column], errors="ignore")
        renames["parent"] = layer.parent_column
    return gpd.GeoDataFrame(frame.rename(columns=renames), geometry=frame.geometry.name, crs=frame.crs)


def _reference(session: Session, layer_name: str) -> Any:
    """Stored boundaries to compare a new layer with: the layer itself, else any other boundary layer."""
    for name in (layer_name, *(n for n in BOUNDARY_LAYERS if n != layer_name)):
        stored = load_layer(session, name)
        if len(stored):
            return stored.geometry.values
    return []


def import_boundaries(
    session: Session, layer_name: str, path: Path, options: ImportOptions, progress: Progress = _quiet
) -> dict[str, Any]:
    """Write ``path`` as the new version of ``layer_name``; commit; return the summary."""
    checked = check_boundaries(session, layer_name, path, options, progress)
    check_boundaries_scope(session, layer_name, checked.layer.table, checked.frame)
    report = checked.report
    meta = ImportMeta(
        file_name=checked.read.file_name,
        sha256=checked.read.sha256,
        crs_in=checked.read.crs_in,
        encoding=checked.read.encoding,
        mode=options.mode,
        precinct=options.precinct,
        created_by=options.user,
        counts={"rows_in": report["rows_in"], "dissolved": len(report["dissolved"])},
        repairs=report["repaired"],
        warnings=checked.warnings,
    )
    if options.mode not in ("replace", "append"):
        raise BadRequest(f"mode must be replace or append, got {options.mode!r}")
    progress(f"writing {len(checked.frame)} features")
    import_id = write_version(session, checked.layer, checked.frame, meta)
    parents = _assign_parents(session, checked.layer, import_id, options.precinct)
    closed = session.scalar(
        text(
            f"SELECT count(*) FROM {checked.layer.table} WHERE import_id <> :i AND valid_to ="
            " (SELECT created_at FROM boundary_import WHERE id = :i)"
        ),
        {"i": import_id},
    )
    relocate_all(session)  # points (and hazards' people) follow the new boundaries
    summary = _summary(checked, import_id, int(closed or 0), parents)
    audit.record(session, "import", f"{layer_name} import {import_id}",
                 {"file": checked.read.file_name, "sha256": checked.read.sha256, "precinct": options.precinct,
                  "mode": options.mode, "features": len(checked.frame)})  # fmt: skip
    session.execute(
        text("UPDATE boundary_import SET counts = counts || CAST(:c AS jsonb) WHERE id = :i"),
        {"c": json.dumps({"closed": summary["counts"]["closed"], **parents}), "i": import_id},
    )
    session.commit()
    return summary


def _assign_parents(session: Session, layer: Layer, import_id: int, precinct: str | None) -> dict[str, int]:
    """Districts without a parent column get the precinct they overlap most (reported in the summary)."""
    if layer.name != "districts":
        return {}
    if precinct:
        session.execute(
            text("UPDATE district SET precinct_code = :p WHERE import_id = :i AND precinct_code IS NULL"),
            {"p": precinct, "i": import_id},
        )
    assigned = session.execute(
        text(
            """
            UPDATE district d SET precinct_code = (
                SELECT p.code FROM precinct p
                WHERE p.valid_to IS NULL AND ST_Intersects(p.geom, d.geom)
                ORDER BY ST_Area(ST_Intersection(p.geom, d.geom)) DESC, p.code LIMIT 1)
            WHERE d.import_id = :i AND d.precinct_code IS NULL
            """
        ),
        {"i": import_id},
    ).rowcount  # type: ignore[attr-defined]
    orphans = session.scalar(
        text("SELECT count(*) FROM district WHERE import_id = :i AND precinct_code IS NULL"), {"i": import_id}
    )
    return {"parents_by_overlap": int(assigned) - int(orphans or 0), "without_parent": int(orphans or 0)}


def _summary(checked: Checked, import_id: int | None, closed: int, parents: dict[str, int]) -> dict[str, Any]:
    report = checked.report
    return {
        "layer": checked.layer.name,
        "import_id": import_id,
        "file": checked.read.file_name,
        "sha256": checked.read.sha256,
        "crs_in": checked.read.crs_in,
        "encoding": checked.read.encoding,
        "source_layer": checked.read.layer,
        "fields": report["fields"],
        "counts": {
            "rows_in": report["rows_in"],
            "features": report["features"],
            "dissolved": len(report["dissolved"]),
            "repaired": report["repaired"]["count"],
            "closed": closed,
            **parents,
        },
        "dissolved": report["dissolved"],
        "repairs": report["repaired"],
        "warnings": checked.warnings,
    }


def preview(session: Session, layer_name: str, path: Path, options: ImportOptions) -> dict[str, Any]:
    """What an import would do, without writing: summary, the source columns and the features as GeoJSON."""
    checked = check_boundaries(session, layer_name, path, options)
    summary = _summary(checked, None, 0, {})
    shown = checked.frame.head(PREVIEW_FEATURES)
    geoms = shapely.simplify(shown.geometry.values, 0.00001, preserve_topology=True)
    summary["columns"] = [str(c) for c in checked.read.frame.columns if c != checked.read.frame.geometry.name]
    summary["preview"] = json.loads(
        gpd.GeoDataFrame(shown[["code", "name"]], geometry=geoms, crs="EPSG:4326").to_json(drop_id=True)
    )
    summary["bounds"] = [float(v) for v in checked.frame.total_bounds]
    return summary


def import_file(
    session: Session, layer_name: str, path: Path, options: ImportOptions, progress: Progress = _quiet
) -> dict[str, Any]:
    """Any layer: boundaries here, point layers through :mod:`api.services.points`."""
    if layer_name not in IMPORT_LAYERS:
        raise BadRequest(f"unknown layer {layer_name!r}: use one of {', '.join(IMPORT_LAYERS)}")
    limit_options(layer_name, options)
    if options.history is not None and layer_name != "hazards":
        raise BadRequest(f"a history goes with hazards only, not {layer_name}: leave out --history")
    if layer_name in BOUNDARY_LAYERS:
        return import_boundaries(session, layer_name, path, options, progress)
    from api.services.points import import_points

    result: dict[str, Any] = import_points(session, layer_name, path, options)
    return result
