"""Load the demo city (``data/boundaries``) into the store. Loading it twice changes nothing.

Each file is recorded as an import with its sha256; a file whose latest import has the same hash (and, for
boundaries, whose rows are still current) is skipped. A changed file replaces what its earlier version loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.layers import LAYERS
from api.services.imports import import_file
from api.services.options import ImportOptions
from api.services.points import TABLES
from geo.io import file_sha256

__all__ = ["DEMO_DIR", "load_demo"]

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "boundaries"

BOUNDARY_FILES = {
    "precincts": "precincts.geojson",
    "districts": "districts.geojson",
    "grids": "grids.geojson",
}


def load_demo(session: Session, folder: Path = DEMO_DIR, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Import every demo file that is not loaded yet, each through the import service as a user's file would
    be (checked, repaired, recorded, committed). Returns per-file results."""
    results: dict[str, Any] = {}
    for layer, name in BOUNDARY_FILES.items():
        results[layer] = _load_boundaries(session, folder / name, layer)
    for layer, name in _POINT_FILES:
        results[layer] = _load_points(session, folder / name, layer)
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
    done = import_file(session, layer_name, path, ImportOptions(user="demo"))
    return f"loaded {done['counts']['features']}"


def _load_points(session: Session, path: Path, layer: str) -> str:
    """Import one point file as any user would (hazards with their history); a changed file first removes
    what its earlier version loaded (hazard codes already stored are otherwise kept as they are)."""
    digest = file_sha256(path)
    latest = _latest_import(session, layer, path.name)
    if latest and latest[1] == digest:
        return "unchanged"
    session.execute(
        text(
            f"DELETE FROM {TABLES[layer]} WHERE import_id IN "
            "(SELECT id FROM boundary_import WHERE layer = :l AND file_name = :f)"
        ),
        {"l": layer, "f": path.name},
    )
    history = path.parent / HISTORY_FILE if layer == "hazards" else None
    done = import_file(session, layer, path, ImportOptions(user="demo", history=history))
    return f"loaded {done['counts']['features']}"


HISTORY_FILE = "hazard_events.csv"
_POINT_FILES = [
    ("key-places", "key_places.csv"),
    ("hazards", "hazards.csv"),
    ("patrols", "patrols.csv"),
    ("incidents", "incidents.csv"),
]
