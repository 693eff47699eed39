"""GDAL vector layers through pyogrio: choose the layer, read it, and find a Shapefile's text encoding.

A Shapefile's ``.cpg`` is honoured. Without one, the DBF text is decoded strictly as UTF-8, then as GB18030 (a
superset of GBK, what Chinese Windows writes), and only then as ISO-8859-1, with a warning. GDAL's own
warnings are returned as text, for the user, instead of being raised.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.errors import EmptyFileError, LayerError, UnsupportedFileError

__all__ = ["GDAL_ERRORS", "VectorRead", "sidecars", "spatial_layers", "choose_layer", "read_vector"]

GDAL_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.CRSError,
)


@dataclass
class VectorRead:
    """One layer as GDAL read it (CRS as declared, possibly none)."""

    frame: gpd.GeoDataFrame
    layer: str
    encoding: str | None
    warnings: list[str] = field(default_factory=list)


def sidecars(shp: Path) -> dict[str, Path]:
    """The files next to ``shp`` sharing its name, by lower-case suffix (``.dbf``, ``.prj`` …)."""
    stem = shp.stem.lower()
    return {p.suffix.lower(): p for p in shp.parent.iterdir() if p.stem.lower() == stem and p.is_file()}


def _layers(path: Path, name: str) -> list[tuple[str, bool]]:
    try:
        rows = pyogrio.list_layers(path)
    except GDAL_ERRORS as exc:
        raise UnsupportedFileError(f"{name} could not be opened ({exc}); export it again.") from exc
    return [(str(row[0]), row[1] is not None) for row in rows]


def spatial_layers(path: Path, name: str) -> list[str]:
    """Names of the layers that have a geometry column."""
    return [layer for layer, spatial in _layers(path, name) if spatial]


def choose_layer(path: Path, layer: str | None, name: str) -> str:
    """``layer`` if the file has it; else its only spatial layer; else :class:`LayerError` listing them."""
    rows = _layers(path, name)
    spatial = [n for n, has_geometry in rows if has_geometry]
    if layer is not None:
        if layer in [n for n, _ in rows]:
            return layer
        raise LayerError(f"{name} has no layer {layer!r}; its layers are: {', '.join(spatial)}.", spatial)
    if len(spatial) == 1:
        return spatial[0]
    if not spatial:
        raise EmptyFileError(f"{name} holds no layer with geometry.")
    raise LayerError(f"{name} holds {len(spatial)} layers: {', '.join(spatial)}; choose one with --layer.", spatial)


class _BadText(UnsupportedFileError):
    """Text that is not valid in the encoding GDAL was told."""


def _read(path: Path, layer: str, encoding: str | None, name: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
        except GDAL_ERRORS as exc:
            raise UnsupportedFileError(f"{name}: layer {layer} could not be read ({exc}).") from exc
        except UnicodeDecodeError as exc:
            raise _BadText(
                f"{name}: its text is not valid {encoding or 'UTF-8'} ({exc}); pass --encoding (e.g. GBK)."
            ) from exc
    return frame, [f"{name}: {w.message}" for w in caught]


def _redecode(frame: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    """Text read as ISO-8859-1 (one character per byte, lossless) decoded strictly as ``encoding``."""

    def fix(value: object) -> object:
        return value.encode("latin-1").decode(encoding) if isinstance(value, str) else value

    geometry = frame.geometry.name
    out = frame.rename(columns={c: fix(c) for c in frame.columns if c != geometry})
    for column in out.columns:
        if column != geometry and (out[column].dtype == object or pd.api.types.is_string_dtype(out[column])):
            out[column] = [fix(v) for v in out[column].tolist()]
    return out


def _decoded(raw: gpd.GeoDataFrame, encodings: list[str], name: str) -> tuple[gpd.GeoDataFrame, str] | None:
    for enc in encodings:
        try:
            return _redecode(raw, enc), enc
        except LookupError as exc:
            raise UnsupportedFileError(f"unknown encoding {enc!r}: use e.g. GBK or UTF-8.") from exc
        except UnicodeDecodeError:
            continue
    return None


def _read_shapefile(path: Path, layer: str, encoding: str | None, name: str) -> VectorRead:
    found = sidecars(path)
    missing = [ext for ext in (".dbf", ".shx") if ext not in found]
    if missing:
        raise UnsupportedFileError(
            f"{name}: the Shapefile {path.name} is incomplete, {' and '.join(missing)} missing: zip the "
            ".shp, .shx, .dbf, .prj (and .cpg) together and upload the zip."
        )
    notes: list[str] = []
    if encoding is None and ".cpg" in found:
        cpg = found[".cpg"].read_text(encoding="ascii", errors="replace").strip() or "UTF-8"
        try:
            frame, notes = _read(path, layer, None, name)
            return VectorRead(frame, layer, cpg, notes)
        except _BadText:
            notes = [f"{name}: the .cpg says {cpg}, but the text is not; its encoding was detected instead."]
    # GDAL's own recoding replaces undecodable bytes silently: read the bytes as they are, decode strictly.
    raw, more = _read(path, layer, "ISO-8859-1", name)
    decoded = _decoded(raw, [encoding] if encoding else ["UTF-8", "GB18030"], name)
    if decoded:
        return VectorRead(decoded[0], layer, decoded[1], notes + more)
    if encoding:
        raise UnsupportedFileError(f"{name}: its text is not {encoding}; try another --encoding (e.g. GBK).")
    more.append(
        f"{name}: its text is neither UTF-8 nor GBK; read as ISO-8859-1. If names look garbled, pass --encoding."
    )
    return VectorRead(raw, layer, "ISO-8859-1", notes + more)


def read_vector(path: Path, layer: str | None, encoding: str | None, name: str) -> VectorRead:
    """Read one layer of a GDAL vector file; ``name`` is the uploaded file's name, for messages."""
    chosen = choose_layer(path, layer, name)
    if path.suffix.lower() == ".shp":
        return _read_shapefile(path, chosen, encoding, name)
    frame, notes = _read(path, chosen, encoding, name)
    return VectorRead(frame, chosen, encoding or "UTF-8", notes)
