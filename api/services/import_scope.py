"""What a user limited to one precinct may import: features inside that precinct only, nothing of another one
changed. Refusals list the offending codes (or units) so that a clerk can fix the file.

The CLI and bureau-wide users are not limited (:func:`api.scope.scope_precinct` is None for them).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.errors import BadRequest, Forbidden
from api.scope import boundary_condition, check_write, scope_precinct
from api.services.options import ImportOptions

__all__ = ["limit_options", "check_boundaries_scope", "points_digest", "check_points_scope"]

MIN_INSIDE = 0.99  # share of a feature's area that must lie inside the user's precinct
_LISTED = 50
_POINT_TABLES = {"key-places": "key_place", "hazards": "hazard", "incidents": "incident", "patrols": "patrol_fix"}


def limit_options(layer: str, options: ImportOptions) -> None:
    """A limited user's import is an import of their precinct (``--precinct`` is theirs, whatever was sent)."""
    own = scope_precinct()
    if own is None:
        check_write(options.precinct)
        return
    if options.precinct not in (None, own):
        raise Forbidden(f"imports are limited to precinct {own}, not {options.precinct}")
    if layer == "precincts":
        raise Forbidden("precinct boundaries are kept by the bureau: ask an administrator to import them")
    options.precinct = own
    check_write(own)


def _refuse(own: str, what: str, codes: list[str]) -> None:
    if codes:
        shown = ", ".join(codes[:_LISTED]) + (" …" if len(codes) > _LISTED else "")
        raise Forbidden(f"{len(codes)} {what} outside precinct {own}: {shown}", codes=codes)


def _own_area(session: Session, own: str) -> Any:
    wkb = session.scalar(
        text("SELECT ST_AsBinary(geom) FROM precinct WHERE valid_to IS NULL AND code = :p"), {"p": own}
    )
    if wkb is None:
        raise BadRequest(f"precinct {own} has no current boundary")
    return shapely.from_wkb(bytes(wkb))


def check_boundaries_scope(session: Session, layer: str, table: str, frame: gpd.GeoDataFrame) -> None:
    """Every feature inside the user's precinct, no parent code of another one, no code another one owns."""
    own = scope_precinct()
    if own is None:
        return
    codes = [str(c) for c in frame["code"]]
    area = _own_area(session, own)
    geoms = frame.geometry.values
    inside = shapely.area(shapely.intersection(geoms, area)) >= MIN_INSIDE * shapely.area(geoms)
    parents = frame["precinct_code"] if "precinct_code" in frame else pd.Series([None] * len(frame))
    foreign = [pd.notna(p) and str(p) != own for p in parents]
    _refuse(own, "features lie", [c for c, ok, f in zip(codes, inside, foreign, strict=True) if not ok or f])
    taken = session.scalars(
        text(
            f"SELECT code FROM {table} t WHERE valid_to IS NULL AND code = ANY(:c) AND NOT {boundary_condition(layer)}"
        ),
        {"c": codes, "scope": own},
    ).all()
    _refuse(own, "codes belong to units", sorted(taken))


def _outside(table: str) -> str:
    if table == "patrol_fix":
        return "NOT ST_Intersects(t.geom, (SELECT geom FROM precinct WHERE valid_to IS NULL AND code = :p))"
    return "t.precinct_code IS DISTINCT FROM :p"


def points_digest(session: Session, layer: str, import_id: int | None = None) -> tuple[int, str] | None:
    """Count and hash of the rows outside the user's precinct (other than import ``import_id``'s)."""
    own = scope_precinct()
    if own is None:
        return None
    table = _POINT_TABLES[layer]
    row = session.execute(
        text(
            f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY t.id)), '') FROM {table} t"
            f" WHERE {_outside(table)} AND t.import_id IS DISTINCT FROM CAST(:i AS integer)"
        ),
        {"p": own, "i": import_id},
    ).one()
    return int(row[0]), str(row[1])


def check_points_scope(session: Session, layer: str, import_id: int, before: tuple[int, str] | None) -> None:
    """After writing: the import's rows lie in the user's precinct, and no row of another one changed."""
    own = scope_precinct()
    if own is None or before is None:
        return
    table = _POINT_TABLES[layer]
    label = "t.unit" if table == "patrol_fix" else "coalesce(t.code, t.id::text)"
    outside = session.scalars(
        text(
            f"SELECT DISTINCT {label} FROM {table} t WHERE t.import_id = :i AND t.geom IS NOT NULL"
            f" AND {_outside(table)} ORDER BY 1"
        ),
        {"i": import_id, "p": own},
    ).all()
    _refuse(own, "rows lie", [str(c) for c in outside])
    if points_digest(session, layer, import_id) != before:
        raise Forbidden(f"the file changes {layer} of other precincts than {own} (codes stored there, or replace)")
