"""Read any boundary or point file a police office brings, into a 2-D EPSG:4326 GeoDataFrame — or refuse it.

Formats: a zipped Shapefile (the ``.shp`` anywhere inside, Chinese folder names included), a bare ``.shp``
with its sidecars, GeoJSON (a FeatureCollection, a bare Feature or geometry, the legacy ``crs`` member),
GeoPackage, KML/KMZ and CSV (see :mod:`geo.csvgeo`). GDAL (through pyogrio) does the reading; this module
chooses the layer and the text encoding, checks the coordinate system and converts to lon/lat. Nothing is
written outside a temporary folder that is removed on every path.

>>> result = read_file("tests/fixtures/real/chicago/police_districts.zip")
>>> result.crs_in, len(result.frame)
('EPSG:4326', 25)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from geo.archive import MAX_ENTRIES, MAX_UNPACKED_BYTES, find_datasets, unpacked
from geo.crs import COORD_SYSTEMS, geometries_to_wgs84
from geo.crscheck import check_crs, crs_label, parse_crs, suggest_crs
from geo.csvgeo import MAX_COLUMNS, read_csv
from geo.errors import (
    CRSMismatchError,
    EmptyFileError,
    FileTooLargeError,
    GeoError,
    InvalidFeaturesError,
    LayerError,
    NoCRSError,
    UnsupportedFileError,
)
from geo.vector import read_vector, sidecars, spatial_layers

__all__ = ["file_sha256", "MAX_BYTES", "MAX_COLUMNS", "SUPPORTED_SUFFIXES", "ReadResult", "list_layers", "read_file"]

MAX_BYTES = 200 * 2**20
_ARCHIVES = (".zip", ".kmz")
_VECTORS = (".shp", ".geojson", ".json", ".gpkg", ".kml")
_TABLES = (".csv", ".tsv", ".txt")
SUPPORTED_SUFFIXES = _ARCHIVES + _VECTORS + _TABLES
_CHINA = (73.0, 15.0, 136.0, 54.0)


@dataclass
class ReadResult:
    """What :func:`read_file` read: the features in EPSG:4326 (2-D, original columns, original row order)."""

    frame: gpd.GeoDataFrame
    crs_in: str
    encoding: str | None
    layer: str | None
    warnings: list[str]
    file_name: str
    sha256: str


@dataclass
class _Raw:
    frame: gpd.GeoDataFrame
    crs: CRS | None
    encoding: str | None
    layer: str | None
    warnings: list[str] = field(default_factory=list)
    suffix: str = ""


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _check_file(src: Path, name: str, max_bytes: int) -> None:
    if not src.is_file():
        raise UnsupportedFileError(f"{name}: no such file.")
    suffix = _suffix(src)
    if suffix in (".dbf", ".shx", ".prj", ".cpg"):
        raise UnsupportedFileError(
            f"{name} is only one part of a Shapefile: zip the .shp, .shx, .dbf, .prj (and .cpg) together "
            "and upload the zip."
        )
    if suffix in (".xls", ".xlsx"):
        raise UnsupportedFileError(f"{name} is an Excel workbook: save it from Excel as CSV UTF-8 and upload that.")
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(
            f"{name}: files of type {suffix or '(none)'} are not read; upload a zipped Shapefile, GeoJSON, "
            "GeoPackage, KML/KMZ or CSV."
        )
    parts = sidecars(src).values() if suffix == ".shp" else [src]
    size = sum(os.path.getsize(p) for p in parts)
    if size > max_bytes:
        raise FileTooLargeError(
            f"{name} is {size / 2**20:,.1f} MB, over the {max_bytes / 2**20:,.0f} MB upload limit: split it "
            "(e.g. one precinct per file) or simplify the boundaries, then upload again."
        )
    if os.path.getsize(src) == 0:
        raise EmptyFileError(f"{name} is empty (0 bytes): the upload or export failed; export it again.")


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks (the provenance every import records)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _located(src: Path, name: str, max_unpacked: int, max_entries: int) -> Iterator[list[tuple[str, Path]]]:
    """The datasets to choose from, as (layer name, path); a zip is unpacked for the duration of the block."""
    if _suffix(src) not in _ARCHIVES:
        yield [(src.stem, src)]
        return
    with unpacked(src, file_name=name, max_bytes=max_unpacked, max_entries=max_entries) as folder:
        yield find_datasets(folder, name)


def _layers_in(path: Path, name: str) -> list[str]:
    return [path.stem] if _suffix(path) in _TABLES else spatial_layers(path, name)


def _read_dataset(path: Path, layer: str | None, encoding: str | None, name: str) -> _Raw:
    if _suffix(path) in _TABLES:
        table = read_csv(path, encoding=encoding, file_name=name, max_columns=MAX_COLUMNS)
        return _Raw(table.frame, table.crs, table.encoding, None, table.warnings)
    vector = read_vector(path, layer, encoding, name)
    frame = vector.frame
    if len(frame.columns) > MAX_COLUMNS + 1:
        raise UnsupportedFileError(
            f"{name} has {len(frame.columns) - 1:,} attribute columns, more than the {MAX_COLUMNS:,} allowed: "
            "keep only the columns the layer needs (code, name, parent …) and upload again."
        )
    return _Raw(frame, frame.crs, vector.encoding, vector.layer, vector.warnings)


def _pick(found: list[tuple[str, Path]], layer: str | None, name: str) -> tuple[Path, str | None]:
    if len(found) == 1:
        return found[0][1], layer
    names = [n for n, _ in found]
    if layer in names:
        return found[names.index(layer)][1], None
    raise LayerError(f"{name} holds {len(found)} datasets: {', '.join(names)}; choose one with --layer.", names)


def _no_crs(raw: _Raw, bounds: tuple[float, float, float, float], name: str) -> NoCRSError:
    why = "there is no .prj file next to the .shp" if raw.suffix == ".shp" else "the file declares none"
    return NoCRSError(f"{name} has no coordinate system ({why}); {suggest_crs(bounds)}.")


def _project(raw: _Raw, override: CRS | None, coords: str, name: str) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    if len(raw.frame) == 0:
        raise EmptyFileError(f"{name} has no features: export the layer again with its features.")
    geoms = np.asarray(raw.frame.geometry.array, dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not present.any():
        raise EmptyFileError(f"{name}: none of its {len(geoms)} features has a geometry.")
    _check_finite(geoms, present, name)
    b = shapely.total_bounds(geoms[present])
    bounds = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    crs = override or raw.crs
    if crs is None:
        raise _no_crs(raw, bounds, name)
    notes = check_crs(crs, bounds, name, given=override is not None)
    dropped_z = bool(shapely.has_z(geoms[present]).any())
    notes += _z_note(geoms[present], name) if dropped_z else []
    series = gpd.GeoSeries(shapely.force_2d(geoms), crs=crs).to_crs(4326)
    out = np.asarray(series.array, dtype=object)
    if not np.isfinite(shapely.get_coordinates(out)).all():
        raise CRSMismatchError(f"{name}: with {crs_label(crs)} some coordinates fall off the Earth; check --crs.")
    if coords != "wgs84":
        notes += _coords_note(out[present], coords, name)
        out = geometries_to_wgs84(out, coords)
    frame = gpd.GeoDataFrame(raw.frame.drop(columns=raw.frame.geometry.name), geometry=out, crs=4326)
    frame = frame.reset_index(drop=True)
    frame.attrs.update(source=name, dropped_z=dropped_z)
    return frame, crs_label(crs), notes


def _check_finite(geoms: np.ndarray, present: np.ndarray, name: str) -> None:
    """Refuse NaN or infinite coordinates (a broken export), naming the features, before any maths on them."""
    coords, index = shapely.get_coordinates(geoms[present], return_index=True)
    bad_coords = ~np.isfinite(coords).all(axis=1)
    if not bad_coords.any():
        return
    rows = (np.flatnonzero(present)[np.unique(index[bad_coords])] + 1).tolist()
    problems = [{"row": r, "code": None, "problem": "coordinates that are not numbers (NaN or infinity)"} for r in rows]
    listed = ", ".join(map(str, rows[:20])) + (f" and {len(rows) - 20} more" if len(rows) > 20 else "")
    which = f"features {listed} have" if len(rows) > 1 else f"feature {listed} has"
    raise InvalidFeaturesError(
        f"{name}: {which} coordinates that are not numbers (NaN or infinity): fix or delete "
        "those features in the source file and upload again.",
        problems,
    )


def _z_note(geoms: np.ndarray, name: str) -> list[str]:
    """Heights are always dropped; say so when they were not all zero (KML writes 0 everywhere)."""
    z = shapely.get_coordinates(geoms, include_z=True)[:, 2]
    if np.nanmax(np.abs(z), initial=0.0) > 0:
        return [f"{name}: heights (Z coordinates) were dropped; boundaries are stored 2-D."]
    return []


def _coords_note(geoms: np.ndarray, coords: str, name: str) -> list[str]:
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    outside = x1 < _CHINA[0] or x0 > _CHINA[2] or y1 < _CHINA[1] or y0 > _CHINA[3]
    if coords == "gcj02" and outside:
        return [f"{name}: the data lies outside China, where GCJ-02 equals WGS-84; --coords gcj02 changed nothing."]
    return []


def list_layers(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_BYTES,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> list[str]:
    """The names one may pass as ``layer`` to :func:`read_file`: the datasets in a zip, else the layers."""
    src = Path(path)
    _check_file(src, src.name, max_bytes)
    with _located(src, src.name, max_unpacked_bytes, max_entries) as found:
        if len(found) > 1:
            return [n for n, _ in found]
        return _layers_in(found[0][1], src.name)


def read_file(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    crs: str | int | None = None,
    encoding: str | None = None,
    coords: str = "wgs84",
    max_bytes: int = MAX_BYTES,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> ReadResult:
    """Read ``path`` into EPSG:4326, or raise a :class:`geo.errors.GeoError` that says what to do.

    ``crs`` overrides the file's CRS; ``coords`` (``wgs84``, ``gcj02``, ``bd09``) converts Amap/Baidu lon/lat
    to WGS-84 after reading; ``encoding`` overrides the text encoding of a Shapefile's DBF or a CSV. A zip may
    unpack to at most ``max_unpacked_bytes`` in at most ``max_entries`` entries.
    """
    src = Path(path)
    name = src.name
    if coords not in COORD_SYSTEMS:
        raise GeoError(f"unknown --coords {coords!r}: use one of {', '.join(COORD_SYSTEMS)}.")
    override = parse_crs(crs) if crs is not None else None
    _check_file(src, name, max_bytes)
    digest = file_sha256(src)
    with _located(src, name, max_unpacked_bytes, max_entries) as found:
        dataset, inner = _pick(found, layer, name)
        raw = _read_dataset(dataset, inner, encoding, name)
        raw.suffix = _suffix(dataset)
    frame, crs_in, notes = _project(raw, override, coords, name)
    return ReadResult(frame, crs_in, raw.encoding, raw.layer, raw.warnings + notes, name, digest)
