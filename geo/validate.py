"""Turn a read layer into clean units: one MultiPolygon (or Point) per code, with a report of what was done.

Rows that share a code are one unit and are dissolved; invalid polygons are repaired with
:func:`shapely.make_valid`, keeping only their polygonal parts; Z is dropped and holes kept. Missing codes,
empty geometries, points or lines in a polygon layer are refused with :class:`InvalidFeaturesError`, listing
the features (row = 1-based feature number in the file) so a clerk can fix them at the source. Point layers
(key places, hazards, incidents) keep their rows in order; rows without a location are dropped and reported.

>>> import geopandas as gpd
>>> from shapely import box
>>> frame = gpd.GeoDataFrame({"BM": ["01", "01", "02"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1),
...                           box(0, 1, 1, 2)], crs=4326)
>>> prepared = prepare_polygons(frame, pick_fields(frame, "grids"))
>>> prepared.frame["code"].tolist(), prepared.report["dissolved"]
(['01', '02'], [{'code': '01', 'rows': [1, 2]}])
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon

from geo.errors import FieldError, GeoError, InvalidFeaturesError
from geo.fields import KINDS, Fields, code_strings, pick_fields

__all__ = ["KINDS", "Fields", "Prepared", "code_strings", "pick_fields", "prepare_polygons", "prepare_points"]

MAX_LISTED = 20
# Repairing and tiling one feature grows with its vertices; a million-vertex boundary still imports in seconds.
MAX_VERTICES = 2_000_000
_POLYGONAL = ("Polygon", "MultiPolygon")
_POINTS = ("Point", "MultiPoint")


@dataclass
class Prepared:
    """Clean units in EPSG:4326 (``code``, ``name``, [``parent``], other attributes, geometry); the report."""

    frame: gpd.GeoDataFrame
    report: dict[str, Any]


def _source(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("source", "the file"))


def _in_4326(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise GeoError(f"{_source(frame)}: the frame has no CRS; read it with geo.io.read_file first.")
    return frame if frame.crs.to_epsg() == 4326 else frame.to_crs(4326)


def _problem(row: int, code: str | None, problem: str) -> dict[str, Any]:
    return {"row": row, "code": code, "problem": problem}


def _refuse(frame: pd.DataFrame, kind: str, problems: list[dict[str, Any]], head: str | None = None) -> None:
    problems = sorted(problems, key=lambda p: p["row"])
    lines = [f"  row {p['row']} (code {p['code'] or '-'}): {p['problem']}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"  … and {len(problems) - MAX_LISTED} more")
    head = head or f"{_source(frame)}: {len(problems)} of {len(frame)} features cannot be imported as {kind}:"
    tail = "Fix these features in the source file (or delete them) and upload again."
    raise InvalidFeaturesError("\n".join([head, *lines, tail]), problems)


def _polygonal(geom: Any) -> MultiPolygon | None:
    """The polygonal parts of ``geom`` as one MultiPolygon, None if it has none."""
    if geom is None or geom.is_empty:
        return None
    parts = shapely.get_parts(geom)
    while any(p.geom_type.startswith("Multi") or p.geom_type == "GeometryCollection" for p in parts):
        parts = shapely.get_parts(parts)
    polygons = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
    return MultiPolygon(polygons) if polygons else None


def _shape_problem(geom: Any) -> str | None:
    if geom is None or shapely.is_empty(geom):
        return "empty geometry"
    kind = geom.geom_type
    if kind in _POINTS:
        return f"a {kind.lower()}, not an area"
    if "LineString" in kind or kind == "LinearRing":
        return "a line, not an area (close it into a polygon)"
    if _polygonal(geom) is None:
        return f"a {kind} with no area in it"
    return None


def _check_rows(frame: gpd.GeoDataFrame, codes: pd.Series, geoms: np.ndarray, kind: str) -> None:
    problems = []
    vertices = shapely.get_num_coordinates(geoms)
    for i, (code, geom) in enumerate(zip(codes, geoms, strict=True)):
        shape = _shape_problem(geom)
        if vertices[i] > MAX_VERTICES:
            why = f"{vertices[i]:,} vertices, more than the {MAX_VERTICES:,} one feature may have: simplify it"
            problems.append(_problem(i + 1, code, why + " (e.g. QGIS Simplify with a 0.5 m tolerance)"))
        elif shape:
            problems.append(_problem(i + 1, code, shape))
        elif code is None:
            problems.append(_problem(i + 1, None, "no code"))
    if not problems:
        return
    point_rows = [p for p in problems if "point" in p["problem"]]
    head = None
    if len(point_rows) == len(frame):
        head = (
            f"{_source(frame)} holds points, not areas, so it cannot be imported as {kind}: import it as "
            "key places, or export the polygon layer."
        )
    _refuse(frame, kind, problems, head)


def _repair(geoms: np.ndarray, codes: pd.Series, frame: gpd.GeoDataFrame, kind: str) -> dict[str, Any]:
    """Make every polygon valid in place; return the ``repaired`` report."""
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    kinds = [re.sub(r"\[.*\]$", "", r).strip() for r in shapely.is_valid_reason(geoms[bad])]
    problems = []
    for i, why in zip(bad, kinds, strict=True):
        fixed = _polygonal(shapely.make_valid(geoms[i]))
        if fixed is None or fixed.area == 0:
            problems.append(_problem(int(i) + 1, codes.iloc[i], f"invalid ({why}), with no area left"))
        geoms[i] = fixed
    if problems:
        _refuse(frame, kind, problems)
    rows = [{"row": int(i) + 1, "code": codes.iloc[i], "reason": why} for i, why in zip(bad, kinds, strict=True)]
    return {"count": len(bad), "kinds": dict(Counter(kinds)), "rows": rows}


def _values(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return code_strings(frame[column])


def _assemble(frame: gpd.GeoDataFrame, fields: Fields, keys: dict[str, pd.Series], geoms: Any) -> gpd.GeoDataFrame:
    """code, name, [parent], the other attributes (renamed on a clash), geometry — rows as in ``keys``."""
    used = {c for c in (fields.code, fields.name, fields.parent) if c}
    geometry = frame.geometry.name
    others = [c for c in frame.columns if c not in used and c != geometry]
    out = pd.DataFrame({k: pd.Series(v.to_numpy(), dtype=object) for k, v in keys.items()})
    renamed: dict[str, str] = {}
    for column in others:
        target = column
        while target in out.columns or target == "geometry":
            target = f"{target}_1"
        renamed.update({column: target} if target != column else {})
        out[target] = frame[column].to_numpy()
    result = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(list(geoms)).to_numpy(), crs=4326)
    result.attrs.update(source=_source(frame), renamed=renamed)
    return result


def _keys(frame: pd.DataFrame, fields: Fields) -> dict[str, pd.Series]:
    keys = {"code": _values(frame, fields.code), "name": _values(frame, fields.name)}
    if fields.parent:
        keys["parent"] = _values(frame, fields.parent)
    return keys


def _conflicts(keys: dict[str, pd.Series], code: str, idx: np.ndarray) -> tuple[list[dict], list[str]]:
    """Problems (parents differ) and notes (names differ) among rows that share ``code``."""
    rows = [int(i) + 1 for i in idx]
    problems: list[dict[str, Any]] = []
    notes: list[str] = []
    if "parent" in keys and len({v for v in keys["parent"].iloc[idx] if v is not None}) > 1:
        problems = [_problem(r, code, f"rows sharing code {code} disagree on the parent code") for r in rows]
    names = sorted({str(v) for v in keys["name"].iloc[idx] if v is not None})
    if len(names) > 1:
        notes.append(f"rows {rows} share code {code} but have names {names}; the first was kept")
    return problems, notes


def _dissolve(frame: gpd.GeoDataFrame, fields: Fields, geoms: np.ndarray) -> tuple[gpd.GeoDataFrame, dict]:
    keys = _keys(frame, fields)
    groups = pd.Series(range(len(frame))).groupby(keys["code"].to_numpy(), sort=True).indices
    firsts, merged, dissolved, notes, problems = [], [], [], [], []
    for code, idx in groups.items():
        firsts.append(idx[0])
        if len(idx) == 1:
            merged.append(geoms[idx[0]])
            continue
        merged.append(_polygonal(shapely.union_all(geoms[idx])))
        dissolved.append({"code": code, "rows": [int(i) + 1 for i in idx]})
        more_problems, more_notes = _conflicts(keys, code, idx)
        problems += more_problems
        notes += more_notes
    if problems:
        _refuse(frame, fields.kind, problems)
    out = _assemble(frame.iloc[firsts], fields, {k: v.iloc[firsts] for k, v in keys.items()}, merged)
    return out, {"dissolved": dissolved, "warnings": notes}


def _fields_report(fields: Fields) -> dict[str, Any]:
    return {
        "code": fields.code,
        "name": fields.name,
        "parent": fields.parent,
        "reasons": list(fields.reasons),
    }


def prepare_polygons(frame: gpd.GeoDataFrame, fields: Fields) -> Prepared:
    """One valid MultiPolygon per code, sorted by code, or :class:`InvalidFeaturesError` listing the faults.

    The report holds ``rows_in``, ``features``, ``dissolved`` ([{code, rows}]), ``repaired`` ({count, kinds,
    rows}), ``dropped_z``, ``fields``, ``warnings`` and ``renamed`` (attribute columns renamed on a clash).
    """
    if fields.code is None:
        raise FieldError(f"{_source(frame)}: no code column chosen; pass --code-field.")
    frame = _in_4326(frame).reset_index(drop=True)
    codes = _values(frame, fields.code)
    raw = np.asarray(frame.geometry.array, dtype=object)
    dropped_z = bool(frame.attrs.get("dropped_z")) or bool(shapely.has_z(raw).any())
    _check_rows(frame, codes, raw, fields.kind)
    geoms = np.asarray([_polygonal(g) for g in shapely.force_2d(raw)], dtype=object)
    repaired = _repair(geoms, codes, frame, fields.kind)
    out, info = _dissolve(frame, fields, geoms)
    report = {
        "rows_in": len(frame),
        "features": len(out),
        "dissolved": info["dissolved"],
        "repaired": repaired,
        "dropped_z": dropped_z,
        "fields": _fields_report(fields),
        "warnings": info["warnings"],
        "renamed": out.attrs.get("renamed", {}),
    }
    return Prepared(out, report)


def _rows_report(mask: np.ndarray) -> dict[str, Any]:
    rows = (np.flatnonzero(mask) + 1).tolist()
    return {"count": len(rows), "rows": rows[:MAX_LISTED]}


def _point_problems(frame: gpd.GeoDataFrame, codes: pd.Series, flat: np.ndarray, missing: np.ndarray) -> None:
    type_id, parts = shapely.get_type_id(flat), shapely.get_num_geometries(flat)
    bad = ~missing & ~((type_id == 0) | ((type_id == 4) & (parts == 1)))
    problems = [
        _problem(int(i) + 1, codes.iloc[i], f"a {flat[i].geom_type} ({parts[i]} parts), not one point")
        for i in np.flatnonzero(bad)
    ]
    present = codes[~missing].dropna()
    for code, rows in present.groupby(present).groups.items():
        if len(rows) > 1:
            listed = [int(r) + 1 for r in rows]
            problems += [_problem(r, str(code), f"code {code} is used by rows {listed}") for r in listed]
    head = None
    if bad.sum() == len(frame) - missing.sum():
        head = f"{_source(frame)} holds areas or lines, not points: import it as precincts, districts or grids."
    if problems:
        _refuse(frame, "points", problems, head if bad.any() else None)


def prepare_points(frame: gpd.GeoDataFrame, fields: Fields) -> Prepared:
    """One Point per row, rows kept in file order; rows without a location are dropped and reported.

    Codes are optional; when a code column is chosen its codes must be unique. The report holds ``rows_in``,
    ``features``, ``no_geometry`` ({count, rows: the first 20}), ``missing_codes`` (likewise), ``dropped_z``,
    ``fields`` and ``renamed``.
    """
    frame = _in_4326(frame).reset_index(drop=True)
    codes = _values(frame, fields.code)
    raw = np.asarray(frame.geometry.array, dtype=object)
    flat = shapely.force_2d(raw)
    missing = shapely.is_missing(flat) | shapely.is_empty(flat)
    _point_problems(frame, codes, flat, missing)
    points = np.where(shapely.get_type_id(flat) == 4, shapely.get_geometry(flat, 0), flat)
    keep = ~missing
    keys = {k: v[keep] for k, v in _keys(frame, fields).items()}
    out = _assemble(frame[keep], fields, keys, points[keep])
    report = {
        "rows_in": len(frame),
        "features": len(out),
        "no_geometry": _rows_report(missing),
        "missing_codes": _rows_report(keep & codes.isna().to_numpy() & (fields.code is not None)),
        "dropped_z": bool(frame.attrs.get("dropped_z")) or bool(shapely.has_z(raw).any()),
        "fields": _fields_report(fields),
        "renamed": out.attrs.get("renamed", {}),
    }
    return Prepared(out, report)
