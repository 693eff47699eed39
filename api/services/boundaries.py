"""Boundary layers: read the current rows as GeoJSON, write a new version of a layer."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB as _JSONB
from sqlalchemy.orm import Session

from api.errors import BadRequest
from api.layers import Layer
from api.scope import boundary_condition, read_precinct, scope_precinct

__all__ = ["feature_collection", "parse_bbox", "ImportMeta", "write_version", "lock_layer", "current_counts"]


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in lon/lat, as OGC APIs take it."""
    if not value:
        return None
    try:
        parts = tuple(float(p) for p in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise BadRequest(f"bbox must be minx,miny,maxx,maxy in degrees, got {value!r}")
    return parts[0], parts[1], parts[2], parts[3]


def feature_collection(
    session: Session,
    layer: Layer,
    filters: dict[str, str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> str:
    """The layer's current rows as a GeoJSON FeatureCollection (text), ordered by code.

    Properties hold ``code``, ``name``, the typed columns and the free attributes, flattened.
    """
    where = ["valid_to IS NULL"]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    asked = (filters or {}).get("precinct") if "precinct" in layer.filters else None
    own = read_precinct(asked or None)  # refuses another precinct than the user's own
    if scope_precinct() is not None:
        where.append(boundary_condition(layer.name))
        params["scope"] = own
    for key, value in (filters or {}).items():
        if value:
            column = layer.filters[key]  # from the registry, never from the request
            where.append(f"{column} = :f_{key}")
            params[f"f_{key}"] = value
    if bbox:
        where.append("geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        where.append("ST_Intersects(geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))")
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    cond = " AND ".join(where)
    sql = f"""
        SELECT json_build_object(
            'type', 'Feature', 'id', t.code,
            'geometry', ST_AsGeoJSON(t.geom, 6)::json,
            'properties', t.attributes
                || (to_jsonb(t) - 'geom' - 'geom_3857' - 'geom_z12' - 'geom_z13' - 'attributes' - 'id' - 'valid_to')
        )::text
        FROM {layer.table} t WHERE {cond} ORDER BY t.code LIMIT :limit OFFSET :offset
    """
    features = session.scalars(text(sql), params).all()
    matched = session.scalar(text(f"SELECT count(*) FROM {layer.table} t WHERE {cond}"), params)
    head = json.dumps({"type": "FeatureCollection", "numberMatched": matched, "numberReturned": len(features)})
    return head[:-1] + ', "features": [' + ",".join(features) + "]}"


def current_counts(session: Session) -> dict[str, int]:
    from api.layers import LAYERS

    scope = read_precinct(None)
    limit = {name: f" AND {boundary_condition(name)}" if scope else "" for name in LAYERS}
    return {
        name: int(
            session.scalar(
                text(f"SELECT count(*) FROM {lay.table} t WHERE valid_to IS NULL{limit[name]}"), {"scope": scope}
            )
            or 0  # fmt: skip
        )
        for name, lay in LAYERS.items()
    }


@dataclass
class ImportMeta:
    """Provenance of one version: who, from which file, with what happened on the way."""

    file_name: str | None = None
    sha256: str | None = None
    crs_in: str | None = None
    encoding: str | None = None
    mode: str = "replace"
    precinct: str | None = None
    created_by: str = "system"
    counts: dict[str, Any] = field(default_factory=dict)
    repairs: dict[str, Any] = field(default_factory=dict)
    warnings: list[Any] = field(default_factory=list)


def write_version(session: Session, layer: Layer, frame: gpd.GeoDataFrame, meta: ImportMeta) -> int:
    """Close the rows this version replaces and insert ``frame`` as current; return the import id.

    ``frame`` is in EPSG:4326, one row per code, with ``code``, ``name``, any of the layer's typed columns;
    other columns go to ``attributes``. Does not commit: the caller owns the transaction.
    """
    lock_layer(session, layer)
    import_id = _record_import(session, layer, meta, len(frame))
    _close_replaced(session, layer, frame, meta, import_id)
    session.execute(text(_insert_sql(layer)), _rows(layer, frame, import_id))
    return import_id


def lock_layer(session: Session, layer: Layer) -> None:
    """Serialise writers of one layer until the transaction ends.

    Two imports at once would each close only the rows current when they started and both stay current. The
    lock is per layer, not per precinct: a whole-layer replace and a precinct's replace close the same rows.
    Taken before the import is recorded, so the later writer also has the later timestamp.
    """
    key = int.from_bytes(hashlib.sha256(f"jingwang:{layer.table}".encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _record_import(session: Session, layer: Layer, meta: ImportMeta, rows: int) -> int:
    counts = {"features": rows, **meta.counts}
    import_id = session.scalar(
        text(
            """
            INSERT INTO boundary_import (layer, mode, precinct_scope, file_name, sha256, crs_in,
                encoding, counts, repairs, warnings, created_by, created_at)
            VALUES (:layer, :mode, :precinct, :file_name, :sha256, :crs_in, :encoding,
                :counts, :repairs, :warnings, :created_by, clock_timestamp())
            RETURNING id
            """
        ).bindparams(
            bindparam("counts", type_=_JSONB),
            bindparam("repairs", type_=_JSONB),
            bindparam("warnings", type_=_JSONB),
        ),
        {
            "layer": layer.name,
            "mode": meta.mode,
            "precinct": meta.precinct,
            "file_name": meta.file_name,
            "sha256": meta.sha256,
            "crs_in": meta.crs_in,
            "encoding": meta.encoding,
            "counts": counts,
            "repairs": meta.repairs,
            "warnings": meta.warnings,
            "created_by": meta.created_by,
        },
    )
    return int(import_id)


def _close_replaced(session: Session, layer: Layer, frame: gpd.GeoDataFrame, meta: ImportMeta, import_id: int) -> None:
    params: dict[str, Any] = {"codes": list(frame["code"].astype(str))}
    if meta.mode == "append":
        cond = "code = ANY(:codes)"  # append replaces the same codes and keeps the rest
    elif meta.precinct and layer.name == "precincts":
        cond, params["p"] = "(code = :p OR code = ANY(:codes))", meta.precinct
    elif meta.precinct and "precinct_code" in layer.columns:
        cond, params["p"] = "(precinct_code = :p OR code = ANY(:codes))", meta.precinct
    else:
        cond = "TRUE"
    # The import's own timestamp closes the old rows and opens the new ones (clock time, not the
    # transaction's: several versions may be written in one transaction).
    params["i"] = import_id
    session.execute(
        text(
            f"UPDATE {layer.table} SET valid_to = (SELECT created_at FROM boundary_import WHERE id = :i)"
            f" WHERE valid_to IS NULL AND {cond}"
        ),
        params,
    )


def _insert_sql(layer: Layer) -> str:
    cols = ["code", "name", *layer.columns, "attributes", "geom", "import_id"]
    vals = [":code", ":name", *(f":{c}" for c in layer.columns), "CAST(:attributes AS jsonb)"]
    vals += ["ST_Multi(ST_GeomFromWKB(:wkb, 4326))", ":import_id"]
    stamp = "(SELECT created_at FROM boundary_import WHERE id = :import_id)"
    return f"INSERT INTO {layer.table} ({', '.join(cols)}, valid_from) VALUES ({', '.join(vals)}, {stamp})"


def _rows(layer: Layer, frame: gpd.GeoDataFrame, import_id: int) -> list[dict[str, Any]]:
    geom_col = frame.geometry.name
    extra = [c for c in frame.columns if c not in {"code", "name", geom_col, *layer.columns}]
    wkb = shapely.to_wkb(frame.geometry.values, output_dimension=2)
    rows = []
    for i, rec in enumerate(frame.drop(columns=geom_col).to_dict("records")):
        row: dict[str, Any] = {"code": str(rec["code"]), "name": _clean(rec.get("name"))}
        for col, sql_type in layer.columns.items():
            value = _clean(rec.get(col))
            if value is not None:
                value = int(value) if sql_type == "integer" else str(value)
            row[col] = value
        attrs = {c: _clean(rec[c]) for c in extra}
        row["attributes"] = json.dumps(attrs, ensure_ascii=False, default=str)
        row["wkb"], row["import_id"] = wkb[i], import_id
        rows.append(row)
    return rows


def _clean(value: Any) -> Any:
    """NaN/NaT/None become None; numpy scalars become Python values."""
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if value is pd.NaT:
        return None
    return value.item() if hasattr(value, "item") else value
