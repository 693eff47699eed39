"""Imports of the point layers — key places, patrols, hazards, incidents — and routing them to grids.

``import_points`` reads the file (through :mod:`geo`), records the import in ``boundary_import`` and writes the
rows in one transaction: any error leaves nothing behind. Located rows are routed to the grid, district and
precinct that contain them. What ``mode`` means per layer (nothing is ever removed because of a file's name, as
daily exports often share one):

* key places: a code stored before takes the file's values (places without a code get one from name and
  position); ``replace`` with ``precinct`` also removes that precinct's places the file no longer lists;
* patrols: ``replace`` removes the stored fixes of the file's units within the file's time span first;
* incidents: ``replace`` replaces stored incidents with the file's codes; ``append`` skips them;
* hazards carry their own history: codes stored before are always left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from api.auth import audit
from api.errors import BadRequest
from api.services.import_scope import check_points_scope, points_digest
from api.services.locate import LOCATED_TABLES, locate
from api.services.options import POINT_LAYERS, ImportOptions
from geo.errors import FileTooLargeError, GeoError
from geo.io import file_sha256

__all__ = [
    "import_points",
    "relocate_all",
    "route_hazards",
    "Imported",
    "point_hex",
    "record_import",
    "finish_import",
]

TABLES = {"key-places": "key_place", "patrols": "patrol_fix", "hazards": "hazard", "incidents": "incident"}

Imported = dict[str, Any]  # {"counts", "warnings", "fields"} from a layer's writer
Writer = Callable[[Session, Path, ImportOptions, int, str], Imported]


def point_hex(lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
    """Hex EWKB (SRID 4326) of each lon/lat, None where either is missing: what COPY takes for ``geom``."""
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out: list[str | None] = [None] * lon.size
    if ok.any():
        pts = shapely.set_srid(shapely.points(lon[ok], lat[ok]), 4326)
        for i, h in zip(np.flatnonzero(ok), shapely.to_wkb(pts, hex=True, include_srid=True), strict=True):
            out[i] = h
    return out


def record_import(session: Session, layer: str, file_name: str, digest: str, options: ImportOptions) -> int:
    """Open the ``boundary_import`` row of this import; counts and warnings come with :func:`finish_import`."""
    return int(
        session.scalar(
            text(
                "INSERT INTO boundary_import (layer, mode, precinct_scope, file_name, sha256, crs_in, encoding,"
                " created_by) VALUES (:l, :m, :p, :f, :s, :c, :e, :u) RETURNING id"
            ),
            {"l": layer, "m": options.mode, "p": options.precinct, "f": file_name, "s": digest,
             "c": options.crs, "e": options.encoding, "u": options.user},
        )
    )  # fmt: skip


def finish_import(
    session: Session, import_id: int, outcome: Imported, crs_in: str | None, encoding: str | None
) -> None:
    session.execute(
        text(
            "UPDATE boundary_import SET counts = :c, warnings = :w, crs_in = :crs, encoding = :enc WHERE id = :i"
        ).bindparams(bindparam("c", type_=JSONB), bindparam("w", type_=JSONB)),
        {"c": outcome["counts"], "w": outcome["warnings"], "crs": crs_in, "enc": encoding, "i": import_id},
    )


def check_mode(options: ImportOptions) -> None:
    if options.mode not in ("replace", "append"):
        raise BadRequest(f"unknown mode {options.mode!r}: use replace or append")


def _outside_note(session: Session, table: str, import_id: int, file_name: str) -> list[str]:
    """Warn when most located points fall outside every grid: a sign of GCJ-02/BD-09 offsets or a wrong file."""
    row = session.execute(
        text(
            f"SELECT count(*) FILTER (WHERE geom IS NOT NULL) AS placed,"
            f" count(*) FILTER (WHERE geom IS NOT NULL AND grid_code IS NULL) AS outside"
            f" FROM {table} WHERE import_id = :i"
        ),
        {"i": import_id},
    ).one()
    grids = session.scalar(text("SELECT count(*) FROM grid WHERE valid_to IS NULL"))
    if grids and row.placed and row.outside > row.placed / 2:
        return [
            f"{file_name}: {row.outside} of {row.placed} points lie outside every grid. If the file was digitised "
            "on Amap/Tencent or Baidu maps, import it again with --coords gcj02 or --coords bd09."
        ]
    return []


def import_points(session: Session, layer: str, path: Path, options: ImportOptions) -> dict[str, Any]:
    """Import ``path`` into the point layer ``layer``; commit once. Returns the import's document.

    ``{"layer", "import_id", "counts", "warnings", "fields"}``; raises :class:`geo.errors.GeoError` for bad
    input (nothing is stored then).
    """
    if layer not in POINT_LAYERS:
        raise BadRequest(f"unknown point layer {layer!r}: use one of {', '.join(POINT_LAYERS)}")
    path = Path(path)
    if not path.is_file():
        raise GeoError(f"{path.name}: no such file")
    if path.stat().st_size > options.max_bytes:
        raise FileTooLargeError(f"{path.name} is over the {options.max_bytes // 2**20} MB limit: split it.")
    try:
        import_id = record_import(session, layer, path.name, file_sha256(path), options)
        check_mode(options)
        before = points_digest(session, layer)
        outcome = _writers()[layer](session, path, options, import_id, path.name)
        check_points_scope(session, layer, import_id, before)
        if layer != "patrols":
            outcome["warnings"] += _outside_note(session, TABLES[layer], import_id, path.name)
        finish_import(session, import_id, outcome, outcome.pop("crs_in", None), outcome.pop("encoding", None))
        audit.record(session, "import", f"{layer} import {import_id}",
                     {"file": path.name, "precinct": options.precinct, "mode": options.mode,
                      "counts": outcome.get("counts")})  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return {"layer": layer, "import_id": import_id, **outcome}


def _writers() -> dict[str, Writer]:
    from api.services import hazards, patrols, places

    return {
        "key-places": places.write_key_places,
        "incidents": places.write_incidents,
        "patrols": patrols.write_patrols,
        "hazards": hazards.write_hazards,
    }


def route_hazards(session: Session, import_id: int | None = None) -> int:
    """Set each hazard's grid worker and community officer from its grid and district (current rows)."""
    result = session.execute(
        text(
            """
            UPDATE hazard h SET
                grid_worker = (SELECT g.grid_worker FROM grid g WHERE g.valid_to IS NULL AND g.code = h.grid_code),
                officer = (SELECT d.officer FROM district d WHERE d.valid_to IS NULL AND d.code = h.district_code)
            WHERE CAST(:i AS integer) IS NULL OR h.import_id = :i
            """
        ),
        {"i": import_id},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def relocate_all(session: Session) -> dict[str, int]:
    """Route every key place, hazard and incident again against the current boundaries (after an import of
    precincts, districts or grids); hazards also get their grid worker and officer again. Does not commit:
    call it inside the boundary import's transaction."""
    counts = {table: locate(session, table) for table in LOCATED_TABLES}
    route_hazards(session)
    return counts


def frame_rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows for COPY: NaN/NaT/pd.NA become None."""
    clean = frame[columns].astype(object).where(frame[columns].notna(), None)
    return list(clean.itertuples(index=False, name=None))
