"""Write a layer as GeoPackage, zipped Shapefile, KML or GeoJSON — files any desktop GIS opens.

Pure: a GeoDataFrame in EPSG:4326 in, a file out, written atomically (a temporary file beside the target, then
renamed), so a reader never sees half a file and a failed export leaves the old file in place.

Shapefiles are zipped with ``.shp .shx .dbf .prj .cpg`` and ``fields.csv``. A ``.dbf`` field name holds at most
10 bytes, so longer names are cut predictably (see :func:`shapefile_names`) and ``fields.csv`` maps each short
name back to the full one. Text is UTF-8, or GBK for older desktop tools (``.cpg`` says which).

>>> shapefile_names(["code", "district_code", "district_count"])
{'code': 'code', 'district_code': 'district_c', 'district_count': 'district_1'}
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.errors import GeoError

__all__ = ["FORMATS", "ENCODINGS", "ExportError", "to_frame", "shapefile_names", "write", "suffix"]

# format -> (GDAL driver, file name suffix)
FORMATS: dict[str, tuple[str, str]] = {
    "gpkg": ("GPKG", ".gpkg"),
    "shp": ("ESRI Shapefile", ".shp.zip"),
    "kml": ("KML", ".kml"),
    "geojson": ("GeoJSON", ".geojson"),
}
ENCODINGS = ("UTF-8", "GBK")
# GeoPackage 1.2, which every desktop GIS in use reads without a warning (GDAL writes 1.4 unless told).
_OPTIONS: dict[str, dict[str, Any]] = {"gpkg": {"dataset_options": {"VERSION": "1.2"}}}
_DBF_NAME_BYTES = 10
_DBF_TEXT_BYTES = 254


class ExportError(GeoError):
    """The layer cannot be written in the format or encoding asked for."""


def suffix(fmt: str) -> str:
    return FORMATS[fmt][1]


def _column(values: list[Any]) -> Any:
    """One output column: whole numbers stay whole, numbers numeric, true/false boolean, the rest text."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.array(values, dtype="boolean")
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pd.array([float(v) if v is not None else None for v in values], dtype="Float64")
    return [None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values]


def to_frame(
    records: list[dict[str, Any]], geometries: Iterable[Any], first: tuple[str, ...] = ("code", "name")
) -> gpd.GeoDataFrame:
    """Feature properties (any JSON values) and shapely geometries as a GeoDataFrame in EPSG:4326.

    Columns keep their first-seen order with ``first`` leading; lists and objects become JSON text.
    """
    names: dict[str, None] = dict.fromkeys(n for n in first if any(n in r for r in records))
    for record in records:
        names.update(dict.fromkeys(record))
    data = {name: _column([r.get(name) for r in records]) for name in names}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(list(geometries), crs="EPSG:4326"), crs="EPSG:4326")


def _cut(name: str, limit: int, encoding: str) -> str:
    out = ""
    for char in name:
        if len((out + char).encode(encoding)) > limit:
            break
        out += char
    return out


def shapefile_names(columns: Iterable[str], encoding: str = "UTF-8") -> dict[str, str]:
    """Full column name -> ``.dbf`` field name: cut to 10 bytes on a character boundary; a name already taken
    (ignoring case) ends in ``_1``, ``_2`` … instead."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in columns:
        short = _cut(name, _DBF_NAME_BYTES, encoding)
        n = 0
        while short.lower() in taken:
            n += 1
            tail = f"_{n}"
            short = _cut(name, _DBF_NAME_BYTES - len(tail), encoding) + tail
        taken.add(short.lower())
        out[name] = short
    return out


def _check_encoding(frame: gpd.GeoDataFrame, encoding: str) -> None:
    for column in [*frame.columns.drop(frame.geometry.name)]:
        values = [column] + [v for v in frame[column] if isinstance(v, str)]
        for value in values:
            try:
                value.encode(encoding)
            except UnicodeEncodeError:
                raise ExportError(f"{value!r} (in {column}) cannot be written in {encoding}: use UTF-8") from None


def _shapefile_zip(frame: gpd.GeoDataFrame, target: Path, layer: str, encoding: str) -> None:
    _check_encoding(frame, encoding)
    names = shapefile_names([c for c in frame.columns if c != frame.geometry.name], encoding)
    out = frame.rename(columns=names)
    for column in names.values():  # a .dbf text field holds 254 bytes
        if out[column].dtype == object:
            out[column] = [v if v is None else _cut(v, _DBF_TEXT_BYTES, encoding) for v in out[column]]
    with tempfile.TemporaryDirectory(dir=target.parent) as folder:
        shp = Path(folder) / f"{layer}.shp"
        pyogrio.write_dataframe(out, shp, driver="ESRI Shapefile", encoding=encoding)
        shp.with_suffix(".cpg").write_text(encoding, encoding="ascii")
        mapping = io.StringIO()
        csv.writer(mapping, lineterminator="\n").writerows([("field", "column"), *((s, n) for n, s in names.items())])
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                archive.write(shp.with_suffix(ext), f"{layer}{ext}")
            archive.writestr("fields.csv", mapping.getvalue().encode("utf-8-sig"))


def write(frame: gpd.GeoDataFrame, path: Path, fmt: str, layer: str, encoding: str = "UTF-8") -> Path:
    """Write ``frame`` to ``path`` as ``fmt`` (a key of :data:`FORMATS`), atomically; return ``path``."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    encoding = encoding.upper().replace("UTF8", "UTF-8")
    if encoding not in ENCODINGS:
        raise ExportError(f"unknown encoding {encoding!r}: use UTF-8 or GBK")
    if encoding != "UTF-8" and fmt != "shp":
        raise ExportError(f"{fmt} files are always UTF-8: an encoding applies to Shapefiles only")
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"folder {path.parent} does not exist")
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix(fmt))
    os.close(fd)
    tmp = Path(name)
    try:
        if fmt == "shp":
            _shapefile_zip(frame, tmp, layer, encoding)
        else:
            tmp.unlink()  # GDAL creates the file itself
            pyogrio.write_dataframe(frame, tmp, driver=FORMATS[fmt][0], layer=layer, **_OPTIONS.get(fmt, {}))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
