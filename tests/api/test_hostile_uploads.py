"""Hostile uploads, through the service (what ``jingwang import`` runs) and ``POST /api/imports``.

Each file gets a clear answer (naming the file, the feature or row, and what to do) or a correct import, within a
bounded time and memory; a refused file leaves the store exactly as it was and no temporary files behind.
"""

from __future__ import annotations

import io
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from shapely import Polygon
from sqlalchemy import text
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from api.services.imports import import_file
from api.services.options import ImportOptions
from geo.errors import GeoError
from tests.geo.builders import (
    bowtie,
    circle,
    grids,
    lying_zip,
    many_grids,
    mixed_encoding_shapefile,
    shapefile_parts,
    truncated,
    wide_csv,
    with_coordinate,
    write,
    zip_bomb,
    zip_files,
)

SECONDS = 20  # generous: a hang or a quadratic blow-up fails, a slow machine does not
MARK = 114.7912345  # a coordinate written once, then replaced by NaN or infinity
NAMES = ["赵州镇第一网格", "范庄镇南街网格", "北王里村网格", "大石桥网格"]


@dataclass
class Case:
    build: Callable[[Path], Path]  # writes the upload into the folder; returns the main file
    refused: list[str] = field(default_factory=list)  # fragments of the message; empty = imports
    layer: str = "grids"
    options: dict[str, Any] = field(default_factory=dict)


def _zip_of(folder: Path, shp: Path, name: str) -> Path:
    return zip_files(folder / name, {f"网格/{p.name}": p for p in shapefile_parts(shp)})


def _slip(folder: Path) -> Path:
    return zip_files(folder / "slip.zip", {"../../evil/grids.geojson": '{"type": "FeatureCollection"}'})


def _many_entries(folder: Path) -> Path:
    with zipfile.ZipFile(folder / "entries.zip", "w") as zf:
        for i in range(10_001):
            zf.writestr(f"e{i}.txt", "")
    return folder / "entries.zip"


def _truncated_shp(folder: Path) -> Path:
    shp = write(many_grids(), folder / "grids.shp", encoding="UTF-8")
    truncated(shp)
    return _zip_of(folder, shp, "truncated.zip")


def _truncated_dbf(folder: Path) -> Path:
    shp = write(many_grids(), folder / "grids.shp", encoding="UTF-8")
    truncated(shp.with_suffix(".dbf"))
    return _zip_of(folder, shp, "truncated-dbf.zip")


def _non_finite(value: float) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        marked = Polygon([(114.78, 37.74), (MARK, 37.76), (114.8, 37.74)])
        frame = grids(4326, [grids().geometry[0], marked])
        shp = with_coordinate(write(frame, folder / "grids.shp"), MARK, value)
        return _zip_of(folder, shp, "nonfinite.zip")

    return build


def _self_intersecting(with_degenerate: bool) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        geoms = [bowtie(), Polygon([(114.8, 37.74), (114.81, 37.74), (114.82, 37.74), (114.8, 37.74)])]
        frame = grids(4326, geoms if with_degenerate else [bowtie(), grids().geometry[1]])
        return write(frame, folder / "bowtie.geojson")

    return build


CASES = {
    "zip slip": Case(_slip, ["slip.zip", "zip slip", "Re-create the zip"]),
    "zip bomb": Case(lambda d: zip_bomb(d / "bomb.zip", 2**30 + 2**26), ["bomb.zip", "would unpack to", "refused"]),
    "zip lying about its size": Case(lambda d: lying_zip(d / "liar.zip"), ["liar.zip", "zip"]),
    "zip with 10,001 entries": Case(_many_entries, ["entries.zip", "10,001 entries", "zip only the boundary"]),
    "wrong extension": Case(lambda d: _bytes(d / "grids.docx", b"PK\x03\x04 word"), ["grids.docx", ".docx", "upload"]),
    "not a zip": Case(lambda d: _bytes(d / "grids.zip", b"%PDF-1.4 not a zip"), ["grids.zip", "not a readable zip"]),
    "garbage GeoJSON": Case(lambda d: _bytes(d / "grids.geojson", b"\x00\xff{[garbage"), ["grids.geojson", "again"]),
    "truncated .shp": Case(_truncated_shp, ["truncated.zip", "grids.shp is cut short", "Export the Shapefile again"]),
    "truncated .dbf": Case(_truncated_dbf, ["truncated-dbf.zip", "grids.dbf is cut short"]),
    "NaN coordinate": Case(_non_finite(float("nan")), ["nonfinite.zip", "feature 2", "NaN or infinity", "fix"]),
    "infinite coordinate": Case(_non_finite(float("inf")), ["nonfinite.zip", "feature 2", "NaN or infinity"]),
    "self-intersection with no area": Case(_self_intersecting(True), ["bowtie.geojson", "row 2 (code 002)", "no area"]),
    "self-intersection": Case(_self_intersecting(False)),
    "UTF-8 and GBK mixed": Case(lambda d: _zip_of(d, mixed_encoding_shapefile(d / "网格.shp", NAMES), "mixed.zip")),
    "a million vertices": Case(lambda d: write(grids(4326, [circle(1_000_000), circle(5, 114.9)]), d / "big.geojson")),
    "10,000 columns": Case(lambda d: wide_csv(d / "wide.csv", 10_000), ["wide.csv", "10,003 columns", "keep only"]),
    "10,000 columns of key places": Case(
        lambda d: _key_places_csv(d / "places.csv", 10_000), ["places.csv", "columns"], layer="key-places"
    ),
}


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _key_places_csv(path: Path, columns: int) -> Path:
    extra = ",".join(f"c{i}" for i in range(columns))
    path.write_text(f"name,lon,lat,{extra}\n学校,114.77,37.75,{','.join('1' * columns)}\n", encoding="utf-8")
    return path


def fingerprint(session) -> tuple:
    """Counts and a hash of every current boundary row, and the counts of the other tables."""
    parts: list[Any] = []
    for table in ("precinct", "district", "grid"):
        parts += session.execute(
            text(
                "SELECT count(*), md5(coalesce(string_agg(code || '/' || import_id || '/' || md5(ST_AsEWKB(geom)),"
                f" ',' ORDER BY code), '')) FROM {table} WHERE valid_to IS NULL"
            )
        ).one()
    for table in ("boundary_import", "precinct", "district", "grid", "key_place", "hazard", "incident"):
        parts.append(session.scalar(text(f"SELECT count(*) FROM {table}")))
    return tuple(parts)


def _leftovers(app) -> set[Path]:
    uploads = Path(app.config["JINGWANG_HOME"]) / "uploads"
    return {*Path(tempfile.gettempdir()).glob("jingwang-unzip-*"), *uploads.glob("upload-*")}


def _post(client, files: list[Path], layer: str, **form: str):
    # Encoded in memory: werkzeug's test client spools bodies over 500 kB to a file it never closes.
    data = MultiDict({"layer": layer, **form})
    for p in files:
        data.add("file", FileStorage(io.BytesIO(p.read_bytes()), filename=p.name))
    boundary, body = encode_multipart(data)
    return client.post("/api/imports", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _upload(path: Path) -> list[Path]:
    return shapefile_parts(path) if path.suffix == ".shp" else [path]


def _check_imported(case_id: str, doc: dict[str, Any], session) -> None:
    current = session.execute(
        text("SELECT code, name, ST_NPoints(geom) AS n FROM grid WHERE valid_to IS NULL AND import_id = :i"),
        {"i": doc["import_id"]},
    ).all()
    assert (
        len(current)
        == doc["counts"]["features"]
        == session.scalar(text("SELECT count(*) FROM grid WHERE valid_to IS NULL AND ST_IsValid(geom)"))
    )
    if case_id == "UTF-8 and GBK mixed":
        assert sorted(r.name for r in current) == sorted(NAMES)
        assert any("UTF-8 and GBK" in w and "rows 2, 4" in w for w in doc["warnings"])
    elif case_id == "a million vertices":
        assert sorted(r.n for r in current) == [6, 1_000_001]
    elif case_id == "self-intersection":
        assert doc["counts"]["repaired"] == 1 and doc["repairs"]["rows"][0]["row"] == 1


@pytest.mark.parametrize("via", ["service", "http"])
@pytest.mark.parametrize("case_id", list(CASES))
def test_hostile_upload(case_id, via, demo_app, demo_client, demo_session, tmp_path):
    case = CASES[case_id]
    path = case.build(tmp_path)
    before, files_before = fingerprint(demo_session), _leftovers(demo_app)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        if via == "service":
            try:
                doc: dict[str, Any] | None = import_file(demo_session, case.layer, path, ImportOptions(**case.options))
                message = ""
            except GeoError as exc:
                doc, message = None, str(exc)
        else:
            response = _post(demo_client, _upload(path), case.layer, **case.options)
            assert response.status_code in (201, 422), response.get_data(as_text=True)[:500]
            doc = response.get_json() if response.status_code == 201 else None
            message = "" if doc else response.get_json()["error"]["message"]
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert elapsed < SECONDS, f"{case_id} took {elapsed:.1f} s"
    if "zip" in case_id:
        assert peak < 64 * 2**20, f"{case_id} held {peak / 2**20:.0f} MB"
    assert _leftovers(demo_app) == files_before
    if case.refused:
        assert doc is None, f"{case_id} was imported"
        for fragment in case.refused:
            assert fragment in message, f"{fragment!r} not in {message!r}"
        assert fingerprint(demo_session) == before
    else:
        assert doc is not None, message
        _check_imported(case_id, doc, demo_session)


def test_over_the_upload_limit(demo_app, demo_client, demo_session, tmp_path):
    path = write(grids(4326), tmp_path / "grids.geojson")
    before = fingerprint(demo_session)
    with pytest.raises(GeoError, match=r"grids.geojson is .* MB, over the 0 MB upload limit: split it"):
        import_file(demo_session, "grids", path, ImportOptions(max_bytes=100))
    demo_app.config["MAX_UPLOAD_BYTES"] = 100
    response = _post(demo_client, [path], "grids")
    assert response.status_code == 422 and "upload limit" in response.get_json()["error"]["message"]
    demo_app.config["MAX_CONTENT_LENGTH"] = 1000
    response = _post(demo_client, [write(many_grids(), tmp_path / "big.geojson")], "grids")
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "request_entity_too_large"
    assert fingerprint(demo_session) == before


def test_a_vertex_cap_refuses_a_huge_feature_clearly(monkeypatch, demo_session, tmp_path):
    monkeypatch.setattr("geo.validate.MAX_VERTICES", 1000)
    path = write(grids(4326, [circle(5000), grids().geometry[1]]), tmp_path / "dense.geojson")
    before = fingerprint(demo_session)
    with pytest.raises(GeoError, match=r"row 1 \(code 001\): 5,001 vertices, more than the 1,000 .* simplify it"):
        import_file(demo_session, "grids", path, ImportOptions())
    assert fingerprint(demo_session) == before
