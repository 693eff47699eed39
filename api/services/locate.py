"""Route point data by location to the current grid, district and precinct that contain it."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["LOCATED_TABLES", "locate"]

LOCATED_TABLES = ("key_place", "hazard", "incident")

_CONTAINING = """(SELECT b.code FROM {layer} b
    WHERE b.valid_to IS NULL AND ST_Intersects(b.geom, t.geom) ORDER BY b.code LIMIT 1)"""


def locate(session: Session, table: str, import_id: int | None = None) -> int:
    """Set ``grid_code``/``district_code``/``precinct_code`` of ``table`` rows (of one import, or all).

    A point on a shared edge goes to the lowest code, so the answer is the same on every run.
    Returns the number of rows updated; does not commit.
    """
    if table not in LOCATED_TABLES:
        raise ValueError(f"{table} holds no located points")
    sql = f"""
        UPDATE {table} t SET
            grid_code = {_CONTAINING.format(layer="grid")},
            district_code = {_CONTAINING.format(layer="district")},
            precinct_code = {_CONTAINING.format(layer="precinct")}
        WHERE t.geom IS NOT NULL AND (CAST(:import_id AS integer) IS NULL OR t.import_id = :import_id)
    """
    result = session.execute(text(sql), {"import_id": import_id})
    return int(result.rowcount)  # type: ignore[attr-defined]
