"""Safe unpacking of uploaded zip (and KMZ) archives into a temporary folder.

Every entry is checked before anything is written: the number of entries and the total declared size are
capped (a zip bomb is refused from its directory alone, in milliseconds), no entry may leave the folder
(``../``, absolute paths, drive letters, symlinks: "zip slip"), and while streaming no entry may grow past its
declared size. Names written by Chinese Windows tools (GBK bytes without the UTF-8 flag) are decoded as such,
so ``警务区/网格.shp`` comes out right. The folder is removed when the ``with`` block ends, errors included.

>>> import io, zipfile, pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     zpath = pathlib.Path(tmp, "a.zip")
...     with zipfile.ZipFile(zpath, "w") as zf:
...         zf.writestr("网格/a.txt", "hi")
...     with unpacked(zpath) as folder:
...         sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.txt"))
['网格/a.txt']
"""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from geo.errors import UnsafeArchiveError, UnsupportedFileError

__all__ = [
    "MAX_UNPACKED_BYTES",
    "MAX_ENTRIES",
    "DATASET_TIERS",
    "check_entries",
    "extract_zip",
    "unpacked",
    "find_datasets",
]

MAX_UNPACKED_BYTES = 2**30
MAX_ENTRIES = 10_000
_CHUNK = 2**20
_DRIVE = re.compile(r"^[A-Za-z]:")
# What counts as a dataset inside an archive, best first; a .json or .csv next to a Shapefile is metadata.
DATASET_TIERS = ((".shp", ".gpkg", ".geojson", ".kml"), (".json", ".csv"))


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name; bytes written without the UTF-8 flag are tried as UTF-8, then GB18030."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _safe_parts(name: str, file_name: str) -> PurePosixPath:
    clean = name.replace("\\", "/")
    parts = [p for p in clean.split("/") if p not in ("", ".")]
    if clean.startswith("/") or _DRIVE.match(clean) or ".." in parts:
        raise UnsafeArchiveError(
            f"{file_name}: the entry {name!r} would be written outside the archive's folder (zip slip); "
            "the archive was refused. Re-create the zip from the files themselves."
        )
    return PurePosixPath(*parts) if parts else PurePosixPath()


def check_entries(
    zf: zipfile.ZipFile,
    file_name: str,
    max_bytes: int = MAX_UNPACKED_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Check the archive's directory without reading any data; return ``(entry, safe relative path)`` pairs.

    Raises :class:`UnsafeArchiveError` for too many entries, too many bytes, or a path leaving the folder.
    """
    infos = zf.infolist()
    if len(infos) > max_entries:
        raise UnsafeArchiveError(
            f"{file_name} holds {len(infos):,} entries, more than the {max_entries:,} allowed: "
            "zip only the boundary files."
        )
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise UnsafeArchiveError(
            f"{file_name} would unpack to {total / 2**20:,.0f} MB, more than the {max_bytes / 2**20:,.0f} MB "
            "allowed; the archive was refused without unpacking. Zip only the boundary files."
        )
    entries = []
    for info in infos:
        rel = _safe_parts(_entry_name(info), file_name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnsafeArchiveError(f"{file_name}: the entry {rel} is a symbolic link; the archive was refused.")
        if info.flag_bits & 0x1:
            raise UnsupportedFileError(f"{file_name} is password-protected: upload an unencrypted zip.")
        entries.append((info, rel))
    return entries


def _copy_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int, file_name: str) -> int:
    written = 0
    with zf.open(info) as src, open(target, "wb") as dst:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size or written > budget:
                raise UnsafeArchiveError(
                    f"{file_name}: the entry {info.filename!r} unpacks to more than it declares; refused."
                )
            dst.write(chunk)
    return written


def extract_zip(
    path: Path,
    dest: Path,
    *,
    file_name: str | None = None,
    max_bytes: int = MAX_UNPACKED_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> list[Path]:
    """Unpack the zip at ``path`` into ``dest`` after :func:`check_entries`; return the files written."""
    name = file_name or path.name
    root = dest.resolve()
    written: list[Path] = []
    try:
        with zipfile.ZipFile(path) as zf:
            budget = max_bytes
            for info, rel in check_entries(zf, name, max_bytes, max_entries):
                target = (root / rel).resolve()
                if target != root and root not in target.parents:
                    raise UnsafeArchiveError(f"{name}: the entry {rel} escapes the archive's folder; refused.")
                if info.is_dir() or not rel.parts:
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                budget -= _copy_entry(zf, info, target, budget, name)
                written.append(target)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise UnsupportedFileError(f"{name} is not a readable zip archive ({exc}): zip the files again.") from exc
    return written


@contextmanager
def unpacked(
    path: Path,
    *,
    file_name: str | None = None,
    max_bytes: int = MAX_UNPACKED_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> Iterator[Path]:
    """Unpack ``path`` into a fresh temporary folder, yield the folder, and remove it on every exit path."""
    folder = Path(tempfile.mkdtemp(prefix="jingwang-unzip-"))
    try:
        extract_zip(path, folder, file_name=file_name, max_bytes=max_bytes, max_entries=max_entries)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def find_datasets(folder: Path, file_name: str) -> list[tuple[str, Path]]:
    """The datasets in an unpacked archive as (layer name, path): the stem, or the path when stems repeat.

    Mac resource forks (``__MACOSX``, ``._*``) are ignored; an archive holding only another archive, or no
    dataset at all, is refused with what it does hold.
    """
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and "__MACOSX" not in p.parts and not p.name.startswith("._")
    )
    for tier in DATASET_TIERS:
        found = [p for p in files if p.suffix.lower() in tier]
        if found:
            stems = [p.stem for p in found]
            unique = len(set(stems)) == len(stems)
            return [(p.stem if unique else p.relative_to(folder).with_suffix("").as_posix(), p) for p in found]
    nested = [p.name for p in files if p.suffix.lower() in (".zip", ".kmz", ".rar", ".7z")]
    if nested:
        raise UnsupportedFileError(f"{file_name} holds another archive ({nested[0]}): upload that one instead.")
    listing = ", ".join(p.relative_to(folder).as_posix() for p in files[:10]) or "nothing"
    raise UnsupportedFileError(
        f"{file_name} holds no Shapefile, GeoJSON, GeoPackage, KML or CSV (it holds {listing}): "
        "zip the .shp with its .shx, .dbf, .prj and .cpg."
    )
