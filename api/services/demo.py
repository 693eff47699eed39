"""Load the demo city (``data/boundaries``) into the store. Loading it twice changes nothing.

Each file is recorded as an import with its sha256; a file whose latest import has the same hash (and, for
boundaries, whose rows are still current) is skipped. A changed file replaces what its earlier version loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.db import copy_rows
from api.layers import LAYERS
from api.services.boundaries import ImportMeta, write_version
from api.services.locate import locate
from api.services.points import point_hex, route_hazards
from geo.io import file_sha256

__all__ = ["DEMO_DIR", "load_demo"]

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "boundaries"

BOUNDARY_FILES = {
    "precincts": "precincts.geojson",
    "districts": "districts.geojson",
    "grids": "grids.geojson",
}


def load_demo(session: Session, folder: Path = DEMO_DIR, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Load every demo file that is not loaded yet; commit once at the end. Returns per-file results."""
    results: dict[str, Any] = {}
    for layer, name in BOUNDARY_FILES.items():
        results[layer] = _load_boundaries(session, folder / name, layer)
    for layer, name, loader in _POINT_FILES:
        results[layer] = _load_points(session, folder / name, layer, loader)
    session.commit()
    for layer, outcome in results.items():
        log(f"{layer}: {outcome}")
    return results


def _latest_import(session: Session, layer: str, file_name: str) -> tuple[int, str] | None:
    row = session.execute(
        text("SELECT id, sha256 FROM boundary_import WHERE layer = :l AND file_name = :f ORDER BY id DESC LIMIT 1"),
        {"l": layer, "f": file_name},
    ).first()
    return (row.id, row.sha256) if row else None


def _load_boundaries(session: Session, path: Path, layer_name: str) -> str:
    layer = LAYERS[layer_name]
    digest = file_sha256(path)
    latest = _latest_import(session, layer_name, path.name)
    if latest and latest[1] == digest:
        current = session.scalar(
            text(f"SELECT count(*) FROM {layer.table} WHERE import_id = :i AND valid_to IS NULL"),
            {"i": latest[0]},
        )
        if current:
            return f"unchanged ({current} current)"
    frame = gpd.read_file(path, engine="pyogrio")
    frame["geometry"] = shapely.force_2d(frame.geometry.values)
    meta = ImportMeta(file_name=path.name, sha256=digest, crs_in="EPSG:4326", encoding="UTF-8", created_by="demo")
    write_version(session, layer, frame, meta)
    return f"loaded {len(frame)}"


def _load_points(session: Session, path: Path, layer: str, loader: Callable[..., int]) -> str:
    digest = file_sha256(path)
    latest = _latest_import(session, layer, path.name)
    if latest and latest[1] == digest:
        return "unchanged"
    table = _POINT_TABLES[layer]
    session.execute(
        text(
            f"DELETE FROM {table} WHERE import_id IN "
            "(SELECT id FROM boundary_import WHERE layer = :l AND file_name = :f)"
        ),
        {"l": layer, "f": path.name},
    )
    import_id = session.scalar(
        text(
            "INSERT INTO boundary_import (layer, file_name, sha256, crs_in, encoding, created_by)"
            " VALUES (:l, :f, :s, 'EPSG:4326', 'UTF-8', 'demo') RETURNING id"
        ),
        {"l": layer, "f": path.name, "s": digest},
    )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    count = loader(session, frame, int(import_id), path.parent)
    session.execute(
        text("UPDATE boundary_import SET counts = jsonb_build_object('features', :n) WHERE id = :i"),
        {"n": count, "i": import_id},
    )
    if table in ("key_place", "hazard", "incident"):
        locate(session, table, int(import_id))
    if table == "hazard":
        route_hazards(session, int(import_id))  # to the grid worker and community officer
    return f"loaded {count}"


def _point_hex(frame: pd.DataFrame) -> list[str | None]:
    return point_hex(pd.to_numeric(frame["lon"], errors="coerce"), pd.to_numeric(frame["lat"], errors="coerce"))


def _none(value: str) -> str | None:
    return value if value != "" else None


def _key_places(session: Session, frame: pd.DataFrame, import_id: int, _folder: Path) -> int:
    geoms = _point_hex(frame)
    rows: Iterator[tuple[Any, ...]] = (
        (r.code, r.name, r.category, _none(r.risk_level), _none(r.address), g, import_id)
        for r, g in zip(frame.itertuples(), geoms, strict=True)
    )
    cols = ["code", "name", "category", "risk_level", "address", "geom", "import_id"]
    return copy_rows(session, "key_place", cols, rows)


def _incidents(session: Session, frame: pd.DataFrame, import_id: int, _folder: Path) -> int:
    geoms = _point_hex(frame)
    rows = (
        (r.code, _none(r.occurred_at), r.type, _none(r.description), g, import_id)
        for r, g in zip(frame.itertuples(), geoms, strict=True)
    )
    cols = ["code", "occurred_at", "type", "description", "geom", "import_id"]
    return copy_rows(session, "incident", cols, rows)


def _patrols(session: Session, frame: pd.DataFrame, import_id: int, _folder: Path) -> int:
    geoms = _point_hex(frame)
    rows = ((r.unit, r.time, g, import_id) for r, g in zip(frame.itertuples(), geoms, strict=True) if g is not None)
    return copy_rows(session, "patrol_fix", ["unit", "ts", "geom", "import_id"], rows)


def _hazards(session: Session, frame: pd.DataFrame, import_id: int, folder: Path) -> int:
    geoms = _point_hex(frame)
    rows = (
        (r.code, r.title, r.category, _none(r.severity), r.state, r.reported_at, _none(r.due_at),
         _none(r.reported_by), r.reported_at, g, import_id)
        for r, g in zip(frame.itertuples(), geoms, strict=True)
    )  # fmt: skip
    cols = ["code", "title", "category", "severity", "state", "reported_at", "due_at", "reported_by"]
    count = copy_rows(session, "hazard", [*cols, "updated_at", "geom", "import_id"], rows)
    events = pd.read_csv(folder / "hazard_events.csv", dtype=str, keep_default_na=False)
    session.execute(
        text(
            """
            INSERT INTO hazard_event (hazard_id, seq, from_state, to_state, actor, at, note)
            SELECT h.id, CAST(:seq AS integer), NULLIF(:from_state, ''), :to_state, :actor,
                   CAST(:at AS timestamptz), NULLIF(:note, '')
            FROM hazard h WHERE h.code = :hazard_code AND h.import_id = :import_id
            """
        ),
        [{**e, "import_id": import_id} for e in events.to_dict("records")],
    )
    # A hazard's last change is its latest event.
    session.execute(
        text(
            "UPDATE hazard h SET updated_at = e.at FROM (SELECT hazard_id, max(at) AS at FROM hazard_event"
            " GROUP BY hazard_id) e WHERE e.hazard_id = h.id AND h.import_id = :i"
        ),
        {"i": import_id},
    )
    return count


_POINT_TABLES = {
    "key-places": "key_place",
    "hazards": "hazard",
    "patrols": "patrol_fix",
    "incidents": "incident",
}
_POINT_FILES: list[tuple[str, str, Callable[..., int]]] = [
    ("key-places", "key_places.csv", _key_places),
    ("hazards", "hazards.csv", _hazards),
    ("patrols", "patrols.csv", _patrols),
    ("incidents", "incidents.csv", _incidents),
]
