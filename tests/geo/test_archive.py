"""Safe unpacking: zip slip, zip bombs, entry caps, GBK entry names, temporary folders always removed."""

from __future__ import annotations

import struct
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from geo.archive import check_entries, extract_zip, find_datasets, unpacked
from geo.errors import NoCRSError, UnsafeArchiveError, UnsupportedFileError
from geo.io import read_file
from tests.geo.builders import grids, shapefile_parts, without_prj, write, zip_files

_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"


def _patch(data: bytes, signature: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite one field of every header with ``signature`` (local or central directory)."""
    out = bytearray(data)
    start = out.find(signature)
    while start != -1:
        struct.pack_into(fmt, out, start + offset, value)
        start = out.find(signature, start + 4)
    return bytes(out)


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private temporary root, so each test can check that nothing is left behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_unpacks_chinese_folder_names_and_cleans_up(tmp_path: Path, temp_root: Path) -> None:
    shp = write(grids(), tmp_path / "网格.shp", encoding="UTF-8")
    archive = zip_files(tmp_path / "a.zip", {f"导出/2023年/{p.name}": p for p in shapefile_parts(shp)})
    with unpacked(archive) as folder:
        found = find_datasets(folder, "a.zip")
        assert [(name, path.relative_to(folder).as_posix()) for name, path in found] == [
            ("网格", "导出/2023年/网格.shp")
        ]
        assert any(temp_root.iterdir())
    assert not any(temp_root.iterdir())


def test_gbk_entry_names_without_utf8_flag_are_decoded(tmp_path: Path, temp_root: Path) -> None:
    shp = write(grids(), tmp_path / "wgwg.shp", encoding="UTF-8")
    plain = zip_files(tmp_path / "plain.zip", {f"jwqjwq/{p.name}": p for p in shapefile_parts(shp)})
    data = plain.read_bytes()
    data = data.replace(b"jwqjwq", "警务区".encode("gbk")).replace(b"wgwg", "网格".encode("gbk"))
    archive = tmp_path / "gbk.zip"
    archive.write_bytes(data)
    with zipfile.ZipFile(archive) as zf:
        assert not any(info.flag_bits & 0x800 for info in zf.infolist())
    with unpacked(archive) as folder:
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.shp")) == ["警务区/网格.shp"]
    result = read_file(archive)
    assert result.layer == "网格"
    assert result.frame["名称"].tolist() == ["赵州镇第一网格", "范庄镇·南街网格"]


@pytest.mark.parametrize("entry", ["../evil.shp", "a/../../evil.shp", "/etc/evil.shp", "C:/evil.shp", "..\\evil.shp"])
def test_zip_slip_is_refused_and_nothing_escapes(tmp_path: Path, temp_root: Path, entry: str) -> None:
    archive = zip_files(tmp_path / "slip.zip", {"ok.txt": "fine", entry: b"evil"})
    with pytest.raises(UnsafeArchiveError, match="zip slip"):
        read_file(archive)
    assert not list(tmp_path.rglob("evil.shp"))
    assert not any(temp_root.iterdir())


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("link.shp")
    info.external_attr = (0o120777 << 16) | 0
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        extract_zip(tmp_path / "link.zip", tmp_path / "out")


def test_zip_bomb_with_2gb_declared_is_refused_fast_without_reading(
    tmp_path: Path, temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = zip_files(tmp_path / "small.zip", {"zeros.shp": bytes(2**20)})
    data = _patch(small.read_bytes(), _CENTRAL, 24, "<I", 2**31)  # uncompressed size in the directory
    data = _patch(data, _LOCAL, 22, "<I", 2**31)
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(data)
    assert bomb.stat().st_size < 20_000

    def _no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("an entry was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", _no_reading)
    start = time.perf_counter()
    with pytest.raises(UnsafeArchiveError, match="2,048 MB") as caught:
        read_file(bomb)
    assert time.perf_counter() - start < 1.0
    assert "without unpacking" in str(caught.value)
    assert not any(temp_root.iterdir())


def test_real_compressed_bomb_is_refused_by_its_directory(tmp_path: Path, temp_root: Path) -> None:
    bomb = tmp_path / "zeros.zip"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("z.shp", "w") as out,
    ):
        for _ in range(32):
            out.write(bytes(2**20))
    assert bomb.stat().st_size < 200_000
    start = time.perf_counter()
    with pytest.raises(UnsafeArchiveError, match="32 MB"):
        read_file(bomb, max_unpacked_bytes=8 * 2**20)
    assert time.perf_counter() - start < 1.0
    assert not any(temp_root.iterdir())


def test_entry_count_is_capped(tmp_path: Path) -> None:
    archive = zip_files(tmp_path / "many.zip", {f"f{i}.txt": "x" for i in range(6)})
    with zipfile.ZipFile(archive) as zf, pytest.raises(UnsafeArchiveError, match="6 entries"):
        check_entries(zf, "many.zip", max_entries=5)
    with zipfile.ZipFile(archive) as zf:
        assert len(check_entries(zf, "many.zip", max_entries=6)) == 6


def test_entry_longer_than_declared_is_refused(tmp_path: Path, temp_root: Path) -> None:
    honest = zip_files(tmp_path / "honest.zip", {"a.csv": "lon,lat\n" + "114.7,37.7\n" * 1000})
    data = _patch(honest.read_bytes(), _CENTRAL, 24, "<I", 100)
    liar = tmp_path / "liar.zip"
    liar.write_bytes(_patch(data, _LOCAL, 22, "<I", 100))
    with pytest.raises((UnsafeArchiveError, UnsupportedFileError)):
        read_file(liar)
    assert not any(temp_root.iterdir())


def test_encrypted_entries_are_refused(tmp_path: Path) -> None:
    plain = zip_files(tmp_path / "plain.zip", {"a.txt": "x"})
    locked = tmp_path / "locked.zip"
    locked.write_bytes(_patch(plain.read_bytes(), _CENTRAL, 8, "<H", 0x1))
    with pytest.raises(UnsupportedFileError, match="password"):
        extract_zip(locked, tmp_path / "out")


def test_not_a_zip_is_refused(tmp_path: Path, temp_root: Path) -> None:
    fake = tmp_path / "grids.zip"
    fake.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(UnsupportedFileError, match="not a readable zip"):
        read_file(fake)
    assert not any(temp_root.iterdir())


def test_temporary_folder_removed_when_reading_fails(tmp_path: Path, temp_root: Path) -> None:
    shp = without_prj(write(grids(), tmp_path / "noprj.shp", encoding="UTF-8"))
    archive = zip_files(tmp_path / "noprj.zip", {p.name: p for p in shapefile_parts(shp)})
    with pytest.raises(NoCRSError, match="no coordinate system"):
        read_file(archive)
    assert not any(temp_root.iterdir())


def test_archive_holding_only_another_archive_or_nothing_useful(tmp_path: Path) -> None:
    inner = zip_files(tmp_path / "inner.zip", {"a.txt": "x"})
    outer = zip_files(tmp_path / "outer.zip", {"inner.zip": inner})
    with pytest.raises(UnsupportedFileError, match="another archive"):
        read_file(outer)
    junk = zip_files(tmp_path / "junk.zip", {"readme.txt": "x", "__MACOSX/._a.shp": "x"})
    with pytest.raises(UnsupportedFileError, match="holds no Shapefile"):
        read_file(junk)


def test_kmz_is_a_zip_and_gets_the_same_checks(tmp_path: Path) -> None:
    kmz = tmp_path / "evil.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.writestr("../doc.kml", "<kml/>")
    with pytest.raises(UnsafeArchiveError, match="zip slip"):
        read_file(kmz)
