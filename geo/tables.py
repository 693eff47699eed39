"""Point data as offices keep it: a CSV or Excel table with lon/lat columns (named in English or Chinese, or one
``"(lat, lon)"`` column), or any file :func:`geo.io.read_file` reads (GeoJSON, Shapefile, GeoPackage, KML).

The result is a table of text values plus lon/lat arrays in WGS-84 (NaN where a row has no usable position), with
the columns that were used and notes for the clerk. Coordinates from Amap/Tencent (``gcj02``) or Baidu (``bd09``)
are converted; a table with metres in its x/y columns needs ``crs``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geo.crs import COORD_SYSTEMS, to_wgs84
from geo.csvgeo import MAX_COLUMNS, sniff_encoding
from geo.errors import EmptyFileError, GeoError, UnsupportedFileError
from geo.times import row_list

__all__ = ["PointTable", "TABLE_SUFFIXES", "norm", "find_column", "read_table", "project", "read_points"]

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "gps经度", "x")
LAT_NAMES = ("lat", "latitude", "纬度", "gps纬度", "y")
WKT_NAMES = ("wkt", "geom", "geometry", "the_geom", "shape")
_LATLON = re.compile(r"\(\s*([-+]?\d+(?:\.\d*)?)\s*[,，]\s*([-+]?\d+(?:\.\d*)?)\s*\)")

Floats = NDArray[np.float64]


@dataclass
class PointTable:
    """Rows of a point file: ``frame`` holds the attribute values (text), ``lon``/``lat`` WGS-84 or NaN."""

    frame: pd.DataFrame
    lon: Floats
    lat: Floats
    file_name: str
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None
    crs_in: str = "EPSG:4326"

    @property
    def located(self) -> NDArray[np.bool_]:
        return np.isfinite(self.lon) & np.isfinite(self.lat)


def norm(name: object) -> str:
    """Column names compared without case, spaces, underscores or hyphens: ``Primary Type`` ~ ``primary_type``."""
    return re.sub(r"[\s_\-()（）]+", "", str(name)).lower()


def find_column(columns: list[str], names: tuple[str, ...], given: str | None = None) -> str | None:
    """The first column whose normalised name is one of ``names`` (in their order); ``given`` must exist."""
    lookup: dict[str, str] = {}
    for col in columns:
        lookup.setdefault(norm(col), col)
    if given:
        if given in columns:
            return given
        if norm(given) in lookup:
            return lookup[norm(given)]
        raise GeoError(f"there is no column {given!r}; the columns are: {', '.join(map(str, columns))}")
    return next((lookup[norm(n)] for n in names if norm(n) in lookup), None)


def _delimiter(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        head = fh.readline()
    return max(",;\t|", key=head.count)


def _read_csv(path: Path, encoding: str | None, name: str) -> tuple[pd.DataFrame, str, list[str]]:
    enc = encoding or sniff_encoding(path)
    codec = "utf-8-sig" if enc.upper().replace("_", "-") in ("UTF-8", "UTF8") else enc
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, sep=_delimiter(path, codec), encoding=codec, engine="c"
        )
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as exc:
        raise UnsupportedFileError(f"{name} could not be read as a table ({exc}); export it again as CSV.") from exc
    except pd.errors.EmptyDataError:
        raise EmptyFileError(f"{name} is empty: it holds no header and no rows.") from None
    notes = []
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas takes a leading field the header does not name as the index: an unnamed row number
        notes.append(f"{name}: the rows hold one more field than the header; the first was read as a row number.")
        frame = frame.reset_index(drop=True)
    return frame, enc, notes


def _read_xlsx(path: Path, sheet: str | None, name: str) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False, engine="openpyxl")
    except (ValueError, KeyError, OSError) as exc:
        raise UnsupportedFileError(f"{name} could not be read as an Excel workbook ({exc}).") from exc
    return frame.astype(str).replace({"nan": "", "NaT": "", "None": ""})


def read_table(
    path: Path, name: str, *, sheet: str | None = None, encoding: str | None = None
) -> tuple[pd.DataFrame, str | None, list[str]]:
    """A CSV/TSV/TXT/XLSX table, every value as text: ``(frame, encoding, notes)``."""
    enc: str | None = None
    notes: list[str] = []
    if path.suffix.lower() == ".xlsx":
        frame = _read_xlsx(path, sheet, name)
    else:
        frame, enc, notes = _read_csv(path, encoding, name)
    if frame.empty:
        raise EmptyFileError(f"{name} holds a header but no rows.")
    if len(frame.columns) > MAX_COLUMNS:
        raise UnsupportedFileError(
            f"{name} has {len(frame.columns):,} columns, more than the {MAX_COLUMNS:,} allowed: keep only the "
            "columns the layer needs (code, name, category, lon/lat …) and upload again."
        )
    return frame, enc, notes


def _numbers(values: pd.Series) -> Floats:
    return np.asarray(pd.to_numeric(values.astype(str).str.strip(), errors="coerce"), dtype=np.float64)


def _coordinates(frame: pd.DataFrame, name: str) -> tuple[Floats, Floats, dict[str, str]]:
    columns = [str(c) for c in frame.columns]
    lon_col, lat_col = find_column(columns, LON_NAMES), find_column(columns, LAT_NAMES)
    if lon_col and lat_col:
        return _numbers(frame[lon_col]), _numbers(frame[lat_col]), {"lon": lon_col, "lat": lat_col}
    wkt = find_column(columns, WKT_NAMES)
    if wkt:
        geoms = shapely.from_wkt(frame[wkt].replace("", None).to_numpy(dtype=object), on_invalid="ignore")
        points = shapely.point_on_surface(geoms)
        return shapely.get_x(points), shapely.get_y(points), {"wkt": wkt}
    for col in columns:
        text = frame[col].astype(str)
        given = np.asarray(text.str.strip() != "")
        if given.any():
            found = text.str.extract(_LATLON)
            if np.asarray(found[0].notna())[given].mean() >= 0.5:
                return _numbers(found[1]), _numbers(found[0]), {"lat_lon": col}
    raise UnsupportedFileError(
        f"{name} has no coordinate columns: name them lon/lat (or 经度/纬度, longitude/latitude, x/y), add a "
        f'WKT column, or one "(lat, lon)" column. Its columns are: {", ".join(columns)}.'
    )


def project(lon: Floats, lat: Floats, crs: str | None, coords: str, name: str) -> tuple[Floats, Floats, str]:
    if coords not in COORD_SYSTEMS:
        raise GeoError(f"unknown --coords {coords!r}: use one of {', '.join(COORD_SYSTEMS)}.")
    label = "EPSG:4326"
    if crs:
        source = pyproj.CRS.from_user_input(crs)
        if not source.is_geographic or source.to_epsg() not in (4326, 4490, None):
            tr = pyproj.Transformer.from_crs(source, 4326, always_xy=True)
            lon, lat = tr.transform(lon, lat)
        label = source.to_string()
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.any() and (np.abs(lon[ok]).max() > 180 or np.abs(lat[ok]).max() > 90):
        raise GeoError(
            f"{name}: the x/y values reach {np.nanmax(np.abs(lon)):.0f}, far beyond degrees: they are metres "
            "of a projection; pass its --crs (e.g. EPSG:4547 for CGCS2000 3-degree zone 114°E)."
        )
    if coords != "wgs84":
        lon, lat = to_wgs84(lon, lat, coords)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), label


def _null_island(lon: Floats, lat: Floats, name: str) -> tuple[Floats, Floats, list[str]]:
    zero = (lon == 0) & (lat == 0)
    if not zero.any():
        return lon, lat, []
    lon, lat = lon.copy(), lat.copy()
    lon[zero] = lat[zero] = np.nan
    return lon, lat, [f"{name}: rows {row_list(zero)} have 0,0 for their position (a GPS blank): read as missing."]


def _from_vector(path: Path, name: str, layer: str | None, crs: str | None, encoding: str | None, coords: str):
    from geo.io import read_file

    result = read_file(path, layer=layer, crs=crs, encoding=encoding, coords=coords)
    frame = result.frame
    geoms = np.asarray(frame.geometry.values, dtype=object)
    notes = list(result.warnings)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    kinds = set(shapely.get_type_id(geoms[present]).tolist())
    if kinds - {0, 4}:
        notes.append(f"{name}: features that are not points are placed at a point inside them.")
    points = np.full(len(geoms), None, dtype=object)
    points[present] = shapely.point_on_surface(geoms[present])
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return PointTable(table, lon, lat, name, {"geometry": "geometry"}, notes, result.encoding, result.crs_in)


def read_points(
    path: Path,
    *,
    file_name: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    coords: str = "wgs84",
) -> PointTable:
    """Read a point file: a CSV/TSV/TXT/XLSX table with coordinate columns, or any vector file."""
    name = file_name or path.name
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        return _from_vector(path, name, layer, crs, encoding, coords)
    frame, enc, notes = read_table(path, name, sheet=layer, encoding=encoding)
    lon, lat, fields = _coordinates(frame, name)
    lon, lat, crs_in = project(lon, lat, crs, coords, name)
    lon, lat, zero = _null_island(lon, lat, name)
    return PointTable(frame, lon, lat, name, fields, notes + zero, enc, crs_in)
