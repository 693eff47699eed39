"""Read a boundary layer from the store as a GeoDataFrame: the current version, or as of a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import geopandas as gpd
import psycopg
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.layers import LAYERS

__all__ = ["version_clause", "load_layer", "layer_version", "LAYER_VERSION_SQL"]


def version_clause(as_of: datetime | None, alias: str = "t") -> tuple[str, dict[str, Any]]:
    """SQL condition selecting the rows valid at ``as_of`` (current rows when None), with its parameters."""
    if as_of is None:
        return f"{alias}.valid_to IS NULL", {}
    cond = f"{alias}.valid_from <= :as_of AND ({alias}.valid_to IS NULL OR {alias}.valid_to > :as_of)"
    return cond, {"as_of": as_of}


def load_layer(
    session: Session,
    layer_name: str,
    as_of: datetime | None = None,
    where: str = "",
    params: dict[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    """The layer's rows valid at ``as_of`` with ``code``, ``name``, typed columns and geometry (EPSG:4326).

    ``where`` is an extra SQL condition written by a service (values go through ``params``).
    """
    layer = LAYERS[layer_name]
    cond, bound = version_clause(as_of)
    if where:
        cond = f"{cond} AND ({where})"
    cols = ", ".join(["t.code", "t.name", *(f"t.{c}" for c in layer.columns)])
    sql = f"SELECT {cols}, ST_AsBinary(t.geom) AS wkb FROM {layer.table} t WHERE {cond} ORDER BY t.code"
    names, rows = fetch_binary(session, sql, {**bound, **(params or {})})
    data = {name: [row[i] for row in rows] for i, name in enumerate(names[:-1])}
    geoms = shapely.from_wkb([row[-1] for row in rows]) if rows else []
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def fetch_binary(session: Session, sql: str, params: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of ``sql`` (``:name`` parameters) in the session's transaction, fetched in
    PostgreSQL's binary format: a city's geometry arrives as raw WKB bytes instead of hex text to decode
    (a 20,000-grid layer in ~0.07 s instead of ~0.22 s)."""
    compiled = text(sql).bindparams(**params).compile(dialect=session.get_bind().dialect)
    dbapi = cast(psycopg.Connection, session.connection().connection.dbapi_connection)
    with dbapi.cursor(binary=True) as cursor:
        cursor.execute(str(compiled), compiled.params)
        return [c.name for c in cursor.description or ()], list(cursor.fetchall())


# A layer's version, as SQL (bound ``:layer``) for statements that read it beside something else.
LAYER_VERSION_SQL = "SELECT coalesce(max(id), 0) FROM boundary_import WHERE layer = :layer"


def layer_version(session: Session, layer_name: str) -> int:
    """The id of the latest import, revert or applied proposal of the layer: changes whenever its rows do."""
    return int(session.scalar(text(LAYER_VERSION_SQL), {"layer": layer_name}))
