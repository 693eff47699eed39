"""GDAL vector layers through pyogrio: choose the layer, read it, and find a Shapefile's text encoding.

A Shapefile's ``.cpg`` is honoured. Without one, the DBF text is decoded strictly as UTF-8, then as GB18030 (a
superset of GBK, what Chinese Windows writes), and only then as ISO-8859-1, with a warning. GDAL's own
warnings are returned as text, for the user, instead of being raised.
"""

from __future__ import annotations

import re
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.errors import EmptyFileError, LayerError, UnsupportedFileError

__all__ = [
    "GDAL_ERRORS",
    "VectorRead",
    "sidecars",
    "spatial_layers",
    "choose_layer",
    "read_vector",
    "decode_mixed",
    "decode_text",
]

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


def _geometry_name(frame: pd.DataFrame) -> str | None:
    return frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None


def _redecode(frame: pd.DataFrame, encoding: str) -> pd.DataFrame:
    """Text read as ISO-8859-1 (one character per byte, lossless) decoded strictly as ``encoding``."""

    def fix(value: object) -> object:
        return value.encode("latin-1").decode(encoding) if isinstance(value, str) else value

    geometry = _geometry_name(frame)
    out = frame.rename(columns={c: fix(c) for c in frame.columns if c != geometry})
    for column in out.columns:
        if column != geometry and (out[column].dtype == object or pd.api.types.is_string_dtype(out[column])):
            out[column] = [fix(v) for v in out[column].tolist()]
    return out


def _decoded(raw: pd.DataFrame, encodings: list[str], name: str) -> tuple[pd.DataFrame, str] | None:
    for enc in encodings:
        try:
            return _redecode(raw, enc), enc
        except LookupError as exc:
            raise UnsupportedFileError(f"unknown encoding {enc!r}: use e.g. GBK or UTF-8.") from exc
        except UnicodeDecodeError:
            continue
    return None


_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def _one_value(value: str) -> tuple[str, bool]:
    """``value`` (bytes read as ISO-8859-1) decoded as UTF-8 when that yields CJK or ASCII text, else GB18030;
    the flag says GB18030 was used. A few GBK byte pairs are valid UTF-8 but never decode to CJK characters."""
    raw = value.encode("latin-1")
    try:
        text = raw.decode("utf-8")
        if text.isascii() or _CJK.search(text):
            return text, False
    except UnicodeDecodeError:
        pass
    return raw.decode("gb18030"), True


def decode_mixed(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[int]] | None:
    """Text that mixes UTF-8 and GBK values (records appended by different tools), decoded value by value.

    Returns the frame and the 1-based rows holding GBK text, or None when the text is not such a mixture.
    """
    geometry = _geometry_name(raw)
    gbk_rows: set[int] = set()
    try:
        names = {c: _one_value(c) for c in raw.columns if isinstance(c, str) and c != geometry}
        utf8_seen = any(not gbk and not text.isascii() for text, gbk in names.values())
        out = raw.copy()
        for column in names:
            fixed = [_one_value(v) if isinstance(v, str) else (v, False) for v in raw[column].tolist()]
            gbk_rows.update(i + 1 for i, (_, gbk) in enumerate(fixed) if gbk)
            utf8_seen |= any(not gbk and isinstance(v, str) and not v.isascii() for v, gbk in fixed)
            out[column] = [v for v, _ in fixed]
    except UnicodeDecodeError:
        return None
    out = out.rename(columns={c: text for c, (text, _) in names.items()})
    return (out, sorted(gbk_rows)) if gbk_rows and utf8_seen else None


def decode_text(raw: pd.DataFrame, encoding: str | None, name: str) -> tuple[pd.DataFrame, str, list[str]]:
    """Text read as ISO-8859-1 decoded strictly: ``encoding`` if given, else UTF-8, a UTF-8/GBK mixture, GBK.

    Returns the frame, the encoding used and notes for the clerk.
    """
    if encoding:
        decoded = _decoded(raw, [encoding], name)
        if decoded is None:
            raise UnsupportedFileError(f"{name}: its text is not {encoding}; try another --encoding (e.g. GBK).")
        return decoded[0], decoded[1], []
    decoded = _decoded(raw, ["UTF-8"], name)
    if decoded:
        return decoded[0], "UTF-8", []
    mixed = decode_mixed(raw)
    if mixed:
        rows = ", ".join(map(str, mixed[1][:20])) + (" …" if len(mixed[1]) > 20 else "")
        note = (
            f"{name}: its text mixes UTF-8 and GBK (GBK in rows {rows}); each value was read in the encoding it "
            "is written in. Check the names, and save the file again in one encoding."
        )
        return mixed[0], "UTF-8+GBK", [note]
    decoded = _decoded(raw, ["GB18030"], name)
    if decoded:
        return decoded[0], "GB18030", []
    note = f"{name}: its text is neither UTF-8 nor GBK; read as ISO-8859-1. If names look garbled, pass --encoding."
    return raw, "ISO-8859-1", [note]


def _declared_size(part: Path, suffix: str) -> int:
    """The size a Shapefile part says it has: the .shp/.shx header's length, the .dbf's header and records."""
    with open(part, "rb") as fh:
        head = fh.read(32)
    if len(head) < 32:
        return 32
    if suffix == ".dbf":
        records, header, record = struct.unpack("<IHH", head[4:12])
        return int(header + records * record)
    return int(struct.unpack(">i", head[24:28])[0]) * 2


def _check_complete(found: dict[str, Path], name: str) -> None:
    """Refuse a Shapefile whose parts are shorter than their headers say: GDAL would read part of it quietly."""
    for suffix in (".shp", ".shx", ".dbf"):
        size, declared = found[suffix].stat().st_size, _declared_size(found[suffix], suffix)
        if size < declared:
            raise UnsupportedFileError(
                f"{name}: {found[suffix].name} is cut short ({size:,} of {declared:,} bytes), so features would be "
                "lost: the copy or download was interrupted. Export the Shapefile again and upload the whole zip."
            )


def _check_parts(path: Path, name: str) -> dict[str, Path]:
    found = sidecars(path)
    missing = [ext for ext in (".dbf", ".shx") if ext not in found]
    if missing:
        raise UnsupportedFileError(
            f"{name}: the Shapefile {path.name} is incomplete, {' and '.join(missing)} missing: zip the "
            ".shp, .shx, .dbf, .prj (and .cpg) together and upload the zip."
        )
    _check_complete(found, name)
    return found


def _read_shapefile(path: Path, layer: str, encoding: str | None, name: str) -> VectorRead:
    found = sidecars(path)
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
    frame, used, text_notes = decode_text(raw, encoding, name)
    return VectorRead(gpd.GeoDataFrame(frame), layer, used, notes + more + text_notes)


def read_vector(path: Path, layer: str | None, encoding: str | None, name: str) -> VectorRead:
    """Read one layer of a GDAL vector file; ``name`` is the uploaded file's name, for messages."""
    if path.suffix.lower() == ".shp":
        _check_parts(path, name)
    chosen = choose_layer(path, layer, name)
    if path.suffix.lower() == ".shp":
        return _read_shapefile(path, chosen, encoding, name)
    frame, notes = _read(path, chosen, encoding, name)
    return VectorRead(frame, chosen, encoding or "UTF-8", notes)
