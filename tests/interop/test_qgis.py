"""QGIS itself (Debian's qgis + python3-qgis, headless) reads jingwang: the grids collection as an OAPIF layer and
the grid tiles as a vector tile layer, with the token in a Basic authentication configuration, and the exports
downloaded from the API in every format, and sees exactly what the API serves: the same codes with the same
Chinese names and shapes — all of them for an analyst, one precinct's for a precinct user."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine
from werkzeug.serving import make_server

from api import create_app
from tests.conftest import make_user

PROBE = Path(__file__).with_name("qgis_probe.py")
# Files as the reports page offers them: file name → path and query under /api/export/
EXPORTS = {
    "grids.gpkg": "grids.gpkg",
    "grids.shp.zip": "grids.shp.zip",
    "grids-gbk.shp.zip": "grids.shp.zip?encoding=GBK",
    "grids.kml": "grids.kml",
    "grids.geojson": "grids.geojson",
    "key-places.kml": "key-places.kml",
    "hazards-gbk.shp.zip": "hazards.shp.zip?encoding=GBK",
    "incidents.gpkg": "incidents.gpkg",
    "districts.shp.zip": "districts.shp.zip",
    "gaps.gpkg": "gaps.gpkg",
    "split-grids.kml": "split-grids.kml",
}
SYSTEM_PYTHON = "/usr/bin/python3"
SCOPED = "130133-02"


@pytest.fixture(scope="module")
def server(demo_engine: Engine) -> Iterator[tuple[str, dict[str, str]]]:
    """The app on the demo database with its own connection pool (QGIS asks in parallel) and committed tokens:
    an analyst (everything) and a precinct user of one precinct."""
    with demo_engine.begin() as conn:
        tokens = {
            "qgis-analyst": make_user(conn, "qgis-analyst", role="analyst"),
            "qgis-precinct": make_user(conn, "qgis-precinct", role="precinct", precinct=SCOPED),
        }
    url = demo_engine.url.render_as_string(hide_password=False)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "TILE_CACHE_DIR": None, "TILE_SEED_ZOOM": -1})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}", tokens
    http.shutdown()
    http.server_close()
    thread.join(5)
    engine = app.extensions.get("jingwang", {}).get("engine")
    if engine is not None:
        engine.dispose()


def _qgis_available() -> None:
    check = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True)
    assert check.returncode == 0, (
        "QGIS's Python is missing: scripts/setup-interop.sh installs qgis and python3-qgis\n" + check.stderr
    )


def _api(base: str, token: str, path: str) -> Any:
    got = requests.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert got.status_code == 200, (path, got.text[:300])
    return got.json()


def _probe(base: str, user: str, token: str, tmp_path: Path, files: list[Path]) -> dict[str, Any]:
    """What QGIS sees with this user's token: the grids over OAPIF and as vector tiles, and ``files``."""
    tileset = _api(base, token, "/ogc/collections/grids/tiles/WebMercatorQuad")
    template = next(link["href"] for link in tileset["links"] if link["rel"] == "item")
    template = template.replace("{tileMatrix}", "{z}").replace("{tileCol}", "{x}").replace("{tileRow}", "{y}")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    run = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE), f"{base}/ogc", template, user, token, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert "partially supported" not in run.stderr, run.stderr  # files of a version QGIS's GDAL reads fully
    seen: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    if os.environ.get("JINGWANG_INTEROP_REPORT"):
        summary = {k: v["features"] for k, v in seen["files"].items()}
        print(f"\nQGIS {seen['qgis']} as {user}: OAPIF {seen['oapif'].get('features')}, tiles",
              len(seen["tiles"].get("codes", [])), "files", summary)  # fmt: skip
    return seen


def _served(base: str, token: str, collection: str) -> dict[str, Any]:
    """The API's own answer: every feature of the collection the token may see."""
    doc = _api(base, token, f"/ogc/collections/{collection}/items?limit=10000")
    assert doc["numberMatched"] == doc["numberReturned"] == len(doc["features"])
    return doc


def _names(doc: dict[str, Any]) -> dict[str, str]:
    return {str(f["properties"]["code"]): str(f["properties"]["name"]) for f in doc["features"]}


def _download(base: str, token: str, tmp_path: Path) -> list[Path]:
    files = []
    for name, path in EXPORTS.items():
        got = requests.get(f"{base}/api/export/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=120)
        assert got.status_code == 200, (name, got.text[:300])
        files.append(tmp_path / name)
        files[-1].write_bytes(got.content)
    return files


def test_qgis_sees_what_the_api_serves_over_oapif_tiles_and_exports(server, tmp_path):
    _qgis_available()
    base, tokens = server
    token = tokens["qgis-analyst"]
    seen = _probe(base, "qgis-analyst", token, tmp_path, _download(base, token, tmp_path))
    grids = _names(_served(base, token, "grids"))
    assert len(grids) == 400

    oapif = seen["oapif"]
    assert oapif["valid"], seen
    assert oapif["features"] == len(grids) and oapif["names"] == grids  # every code with its Chinese name
    assert seen["tiles"]["valid"], seen
    assert seen["tiles"]["codes"] == sorted(grids)  # the web map's tiles: the same grids

    opened = seen["files"]
    assert set(opened) == set(EXPORTS)
    for name, layer in opened.items():
        assert layer["valid"], (name, layer)
        assert layer["crs"] == "EPSG:4326", (name, layer)
        served = _served(base, token, name.split(".")[0].removesuffix("-gbk"))
        assert layer["features"] == served["numberMatched"], (name, layer["features"])
        if layer["names"] is not None and name.startswith(("grids", "districts")):
            assert layer["names"] == _names(served), name  # GBK and UTF-8 both read back as Chinese
        elif layer["names"] is not None:
            codes = sorted(str(f["properties"].get("code")) for f in served["features"])
            assert sorted(layer["names"]) == sorted(set(codes)), name
    areas = [opened[name]["area"] for name in EXPORTS if name.startswith("grids")]
    assert max(areas) - min(areas) <= 1e-9 * max(areas), areas  # the same shapes in every format
    assert abs(oapif["area"] - areas[0]) <= 1e-6 * areas[0]  # and over OAPIF (coordinates to 7 decimals)


def test_qgis_with_a_precinct_token_sees_that_precinct_only(server, tmp_path):
    _qgis_available()
    base, tokens = server
    token = tokens["qgis-precinct"]
    grids = _names(_served(base, token, "grids"))
    analyst = _names(_served(base, tokens["qgis-analyst"], "grids"))
    assert 0 < len(grids) < len(analyst) and all(code.startswith(SCOPED) for code in grids)
    seen = _probe(base, "qgis-precinct", token, tmp_path, [])
    assert seen["oapif"]["valid"], seen
    assert seen["oapif"]["names"] == grids
    assert seen["tiles"]["codes"] == sorted(grids)  # tiles over the neighbours hold none of theirs
