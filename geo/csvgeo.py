"""Geometry from a CSV table: a WKT column, a lon/lat column pair, or one "(lat, lon)" column.

GDAL's CSV driver does the reading (quoted fields with line breaks, a byte-order mark, the separator, a
sidecar ``.prj``), with every field as text so codes keep their leading zeros. This module only finds the
columns that hold the geometry and builds it. A CSV carries no CRS: columns *named* longitude/latitude
(经度/纬度, "(lat, lon)") are taken as WGS-84 degrees with a warning; WKT or x/y columns need ``crs`` (or a
``SRID=n;`` prefix, or a ``.prj`` beside the file).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import itertools
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo.crscheck import looks_like_degrees, parse_crs
from geo.errors import CRSMismatchError, ShiftedColumnsError, UnsupportedFileError
from geo.vector import decode_text

__all__ = ["MAX_COLUMNS", "WKT_NAMES", "LON_NAMES", "LAT_NAMES", "CsvRead", "sniff_encoding", "read_csv"]

# Far more attributes than any boundary or point layer has; every one is stored per row as JSON.
MAX_COLUMNS = 1000
WKT_NAMES = ("wkt", "geom", "geometry", "the_geom", "shape")
LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x")
LAT_NAMES = ("lat", "latitude", "纬度", "y")
_DEGREE_NAMES = {"lon", "lng", "long", "longitude", "经度", "lat", "latitude", "纬度"}
_LATLON = re.compile(r"\(\s*([-+]?\d+(?:\.\d*)?)\s*[,，]\s*([-+]?\d+(?:\.\d*)?)\s*\)")
_SRID = re.compile(r"^\s*SRID=(\d+);", re.IGNORECASE)


@dataclass
class CsvRead:
    """A CSV read into a GeoDataFrame; ``crs`` is None when nothing in or beside the file declares one."""

    frame: gpd.GeoDataFrame
    crs: CRS | None
    encoding: str
    warnings: list[str] = field(default_factory=list)


def sniff_encoding(path: Path) -> str:
    """``UTF-8`` if the bytes decode strictly as UTF-8, else ``GB18030`` (⊇ GBK), else ``ISO-8859-1``."""
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(2**20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding.upper()
    return "ISO-8859-1"


def _column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in reversed(columns)}
    return next((lower[n] for n in names if n in lower), None)


def _blank(values: pd.Series) -> np.ndarray:
    text = values.fillna("").astype(str).str.strip()
    return np.asarray(text == "", dtype=bool)


def _rows(mask: np.ndarray) -> str:
    rows = (np.flatnonzero(mask) + 1).tolist()
    return ", ".join(map(str, rows[:20])) + (f" and {len(rows) - 20} more" if len(rows) > 20 else "")


@dataclass
class _Found:
    geoms: np.ndarray
    drop: str | None = None  # the WKT column, which becomes the geometry
    crs: CRS | None = None  # from a SRID=n; prefix
    degrees: bool = False  # columns named as lon/lat degrees
    notes: list[str] = field(default_factory=list)


def _from_wkt(values: pd.Series, name: str, file_name: str) -> _Found:
    text = values.fillna("").astype(str)
    srids = {m.group(1) for m in text.map(_SRID.match) if m}
    if len(srids) > 1:
        raise CRSMismatchError(f"{file_name}: column {name} mixes SRIDs {sorted(srids)}: use one CRS per file.")
    raw = text.str.replace(_SRID, "", regex=True).to_numpy(dtype=object)
    raw[_blank(values)] = None
    with np.errstate(invalid="ignore"):  # "nan" coordinates are refused, with the rows, in geo.io
        geoms = np.asarray(shapely.from_wkt(raw, on_invalid="ignore"), dtype=object)
    bad = shapely.is_missing(geoms) & ~_blank(values)
    notes = [f"{file_name}: rows {_rows(bad)}: column {name} holds text that is not WKT."] if bad.any() else []
    crs = parse_crs(f"EPSG:{srids.pop()}") if srids else None
    return _Found(geoms, drop=name, crs=crs, notes=notes)


def _points(x: pd.Series, y: pd.Series, label: str, file_name: str) -> _Found:
    xs = pd.to_numeric(x.astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(y.astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    geoms = np.full(len(xs), None, dtype=object)
    geoms[ok] = shapely.points(xs[ok], ys[ok])
    bad = ~ok & ~(_blank(x) & _blank(y))
    notes = [f"{file_name}: rows {_rows(bad)}: {label} is not a pair of numbers."] if bad.any() else []
    return _Found(geoms, notes=notes)


def _latlon_column(frame: pd.DataFrame) -> str | None:
    for name in frame.columns:
        text = frame[name].dropna().astype(str)
        text = text[text.str.strip() != ""]
        if len(text) and text.map(lambda v: bool(_LATLON.search(v))).mean() >= 0.5:
            return str(name)
    return None


def _check_numbers(found: _Found, frame: pd.DataFrame, columns: tuple[str, str], file_name: str) -> None:
    given = ~(_blank(frame[columns[0]]) & _blank(frame[columns[1]]))
    if given.any() and shapely.is_missing(found.geoms[given]).all():
        row = int(np.flatnonzero(given)[0])
        sample = ", ".join(f"{c} = {frame[c].iloc[row]!r}" for c in columns)
        raise UnsupportedFileError(
            f"{file_name}: columns {columns[0]}/{columns[1]} hold no coordinates (row {row + 1}: {sample}); "
            "check that the header matches the values, or name the right columns lon/lat."
        )


def _check_swapped(found: _Found, label: str, file_name: str) -> None:
    xy = shapely.get_coordinates(found.geoms[~shapely.is_missing(found.geoms)])
    lon, lat = np.abs(xy[:, 0]), np.abs(xy[:, 1])
    if len(lat) and lat.max() > 90 and lon.max() <= 90:
        raise CRSMismatchError(
            f"{file_name}: {label}: the latitudes reach {lat.max():.3f}, beyond 90°, while the longitudes "
            "stay within ±90°: the two columns look swapped; swap their headers and upload again."
        )


def _geometry(frame: pd.DataFrame, file_name: str) -> _Found:
    columns = [str(c) for c in frame.columns]
    wkt = _column(columns, WKT_NAMES)
    if wkt:
        return _from_wkt(frame[wkt], wkt, file_name)
    lon, lat = _column(columns, LON_NAMES), _column(columns, LAT_NAMES)
    if lon and lat:
        found = _points(frame[lon], frame[lat], f"columns {lon}/{lat}", file_name)
        _check_numbers(found, frame, (lon, lat), file_name)
        _check_swapped(found, f"columns {lon}/{lat}", file_name)
        found.degrees = lon.strip().lower() in _DEGREE_NAMES and lat.strip().lower() in _DEGREE_NAMES
        return found
    pair = _latlon_column(frame)
    if pair:
        parts = frame[pair].fillna("").astype(str).str.extract(_LATLON)
        found = _points(parts[1], parts[0], f'column {pair} "(lat, lon)"', file_name)
        found.degrees = True
        return found
    raise UnsupportedFileError(
        f"{file_name} has no geometry columns: add a WKT column (named wkt, geom, geometry or the_geom) or "
        'lon/lat columns (lon, lng, longitude, x or 经度 and lat, latitude, y or 纬度), or one "(lat, lon)" '
        f"column. Its columns are: {', '.join(columns)}."
    )


def _head_rows(path: Path, codec: str, count: int) -> list[list[str]]:
    """The first ``count`` rows; fewer when a field is longer than the csv module reads (a long WKT)."""
    rows: list[list[str]] = []
    with open(path, encoding=codec, errors="replace", newline="") as fh:
        head = fh.readline()
        fh.seek(0)
        reader = csv.reader(fh, delimiter=max(",;\t|", key=head.count))
        with contextlib.suppress(csv.Error):
            rows.extend(itertools.islice(reader, count))
    return rows


def _check_field_counts(path: Path, enc: str, name: str, max_columns: int | None) -> None:
    """Refuse a CSV with too many columns, or whose rows hold more fields than its header names (every value
    would be misplaced)."""
    codec = "utf-8-sig" if enc.upper().replace("_", "-") in ("UTF-8", "UTF8") else enc
    rows = _head_rows(path, codec, 51)
    if rows and max_columns is not None and len(rows[0]) > max_columns:
        raise UnsupportedFileError(
            f"{name} has {len(rows[0]):,} columns, more than the {max_columns:,} allowed: keep only the columns "
            "the layer needs (code, name, geometry or lon/lat …) and upload again."
        )
    if len(rows) < 2:
        return
    # Trailing empty fields ("1,2,3,,") are harmless; a value beyond the last heading is not.
    header = rows[0]
    counts = [max((i + 1 for i, v in enumerate(r) if v.strip()), default=0) for r in rows[1:] if r]
    longer = [c for c in counts if c > len(header)]
    if counts and len(longer) >= 0.8 * len(counts):
        first = rows[1]
        example = ", ".join(f"{h} would hold {v!r}" for h, v in list(zip(header, first, strict=False))[-2:])
        raise ShiftedColumnsError(
            f"{name}: the data rows have {max(longer)} fields but the header names only {len(header)}, so "
            f"every value would sit under the wrong heading ({example}). Add the missing header (often an "
            "unnamed row-number column at the start) or export the CSV again."
        )


def _read_table(path: Path, enc: str, name: str) -> tuple[pd.DataFrame, CRS | None, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            info = pyogrio.read_info(path, encoding=enc)
            table = pyogrio.read_dataframe(path, read_geometry=False, encoding=enc, AUTODETECT_TYPE="NO")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, UnicodeDecodeError) as exc:
            raise UnsupportedFileError(f"{name} could not be read as CSV ({exc}).") from exc
    crs = parse_crs(info["crs"]) if info.get("crs") else None
    return pd.DataFrame(table), crs, [f"{name}: {w.message}" for w in caught]


def _decoded_table(path: Path, enc: str, given: bool, name: str) -> tuple[pd.DataFrame, CRS | None, str, list[str]]:
    """The table with its text decoded: as given or sniffed as UTF-8, else value by value (a file whose rows
    were appended by tools writing UTF-8 and GBK)."""
    if given or enc == "UTF-8":
        table, crs, notes = _read_table(path, enc, name)
        return table, crs, enc, notes
    raw, crs, notes = _read_table(path, "ISO-8859-1", name)
    table, enc, more = decode_text(raw, None, name)
    return table, crs, enc, notes + more


def read_csv(
    path: Path, *, encoding: str | None = None, file_name: str | None = None, max_columns: int | None = None
) -> CsvRead:
    """Read a CSV with GDAL (all fields as text) and build its geometry from the columns that hold it."""
    name = file_name or path.name
    enc = encoding or sniff_encoding(path)
    _check_field_counts(path, enc, name, max_columns)
    table, crs, enc, notes = _decoded_table(path, enc, encoding is not None, name)
    found = _geometry(table, name)
    notes += found.notes
    crs = crs or found.crs
    if found.drop:
        table = table.drop(columns=[found.drop])
    present = found.geoms[~shapely.is_missing(found.geoms)]
    if crs is None and found.degrees and len(present) and looks_like_degrees(tuple(shapely.total_bounds(present))):
        crs = CRS.from_epsg(4326)
        notes.append(
            f"{name}: a CSV records no coordinate system; the lon/lat columns were read as WGS-84 degrees "
            "(EPSG:4326). Pass --crs if they are not, or --coords gcj02/bd09 if digitised on Amap/Baidu."
        )
    frame = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(found.geoms, index=table.index))
    return CsvRead(frame=frame, crs=crs, encoding=enc, warnings=notes)
