"""Key places and incidents: writing an import's rows (called by :func:`api.services.points.import_points`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.db import copy_rows
from api.services.locate import locate
from api.services.options import ImportOptions
from api.services.points import Imported, frame_rows, point_hex
from api.services.settings import categories
from geo import points as geo_points
from geo.tables import PointTable, read_points

__all__ = ["write_key_places", "write_incidents"]


def _read(path: Path, options: ImportOptions, name: str) -> PointTable:
    return read_points(
        path, file_name=name, layer=options.layer, crs=options.crs, encoding=options.encoding, coords=options.coords
    )


def _json(values: pd.Series) -> list[str]:
    return [json.dumps(v, ensure_ascii=False, default=str) for v in values]


def _dedupe_codes(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    dup = frame["code"].notna() & frame.duplicated("code")
    if not dup.any():
        return frame, []
    rows = ", ".join(map(str, frame.loc[dup, "row"].head(20)))
    return frame[~dup], [f"{name}: rows {rows} repeat a code of an earlier row and were skipped."]


def _with_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """Places without a code get one from their name and position (5 decimals, about a metre): importing the
    same list again updates them instead of adding them twice."""
    missing = frame["code"].isna()
    if not missing.any():
        return frame
    keys = [f"{n}|{x:.5f}|{y:.5f}" for n, x, y in zip(frame["name"], frame["lon"], frame["lat"], strict=True)]
    made = pd.Series(["KP-" + hashlib.sha1(k.encode("utf-8")).hexdigest()[:12] for k in keys], index=frame.index)
    return frame.assign(code=frame["code"].where(~missing, made))


def write_key_places(session: Session, path: Path, options: ImportOptions, import_id: int, name: str) -> Imported:
    """Upsert by code (a code stored before takes the new values); ``replace`` with ``precinct`` removes that
    precinct's places the file does not list."""
    table = _read(path, options, name)
    given = {"name": options.name_field, "code": options.code_field}
    found = geo_points.key_places(table, categories(session), given)
    frame, notes = _dedupe_codes(_with_codes(found.frame), name)
    codes = list(frame["code"])
    stored = set(session.scalars(text("SELECT code FROM key_place WHERE code = ANY(:c)"), {"c": codes}))
    removed = 0
    if options.mode == "replace" and options.precinct:
        removed = session.execute(
            text("DELETE FROM key_place WHERE precinct_code = :p AND NOT (code = ANY(:c))"),
            {"p": options.precinct, "c": codes},
        ).rowcount  # type: ignore[attr-defined]
    frame = frame.assign(
        wkb=point_hex(frame["lon"].to_numpy(), frame["lat"].to_numpy()), attrs=_json(frame["attributes"])
    )
    cols = ["code", "name", "category", "risk_level", "address", "attrs", "wkb"]
    rows = [dict(zip(cols, t, strict=True), import_id=import_id) for t in frame_rows(frame, cols)]
    if rows:
        session.execute(
            text(
                """
                INSERT INTO key_place (code, name, category, risk_level, address, attributes, geom, import_id)
                VALUES (:code, :name, :category, :risk_level, :address, CAST(:attrs AS jsonb),
                        ST_GeomFromEWKB(decode(:wkb, 'hex')), :import_id)
                ON CONFLICT (code) DO UPDATE SET name = excluded.name, category = excluded.category,
                    risk_level = excluded.risk_level, address = excluded.address,
                    attributes = excluded.attributes, geom = excluded.geom, import_id = excluded.import_id
                """
            ),
            rows,
        )
    locate(session, "key_place", import_id)
    counts = {**found.counts, "features": len(rows), "updated": len(stored), "removed": int(removed)}
    if stored:
        notes.append(f"{name}: {len(stored)} codes were stored before and now carry this file's values.")
    return {"counts": counts, "warnings": found.notes + notes, "fields": {**table.fields, **found.fields},
            "crs_in": table.crs_in, "encoding": table.encoding}  # fmt: skip


def write_incidents(session: Session, path: Path, options: ImportOptions, import_id: int, name: str) -> Imported:
    """COPY the incidents; codes already stored are skipped (an export re-imported in append mode)."""
    table = _read(path, options, name)
    found = geo_points.incidents(table, options.timezone, {"code": options.code_field})
    frame, notes = _dedupe_codes(found.frame, name)
    codes = list(frame["code"].dropna())
    stored = set(session.scalars(text("SELECT DISTINCT code FROM incident WHERE code = ANY(:c)"), {"c": codes}))
    if stored and options.mode == "replace":
        session.execute(text("DELETE FROM incident WHERE code = ANY(:c)"), {"c": sorted(stored)})
        notes.append(f"{name}: {len(stored)} incident codes were stored before: replaced by this file's rows.")
    elif stored:
        frame = frame[~frame["code"].isin(stored)]
        notes.append(f"{name}: {len(stored)} incident codes were stored before and were skipped (append).")
    frame = frame.assign(
        wkb=point_hex(frame["lon"].to_numpy(), frame["lat"].to_numpy()),
        attrs=_json(frame["attributes"]),
        when=frame["occurred_at"].map(lambda t: None if pd.isna(t) else t.isoformat()),
        import_id=import_id,
    )
    cols = ["code", "when", "type", "description", "attrs", "wkb", "import_id"]
    written = copy_rows(
        session,
        "incident",
        ["code", "occurred_at", "type", "description", "attributes", "geom", "import_id"],
        frame_rows(frame, cols),
    )
    locate(session, "incident", import_id)
    skipped = 0 if options.mode == "replace" else len(stored)
    replaced = len(stored) if options.mode == "replace" else 0
    counts: dict[str, Any] = {**found.counts, "features": written, "skipped_existing": skipped, "replaced": replaced}
    return {"counts": counts, "warnings": found.notes + notes, "fields": {**table.fields, **found.fields},
            "crs_in": table.crs_in, "encoding": table.encoding}  # fmt: skip
