"""QGIS itself (Debian's qgis + python3-qgis, headless) reads jingwang: the grids collection as an OAPIF layer and
the grid tiles as a vector tile layer, with the token in a Basic authentication configuration, and the grid
exports downloaded from the API in every format, and sees exactly the grids the API serves."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine, text
from werkzeug.serving import make_server

from api import create_app
from tests.conftest import make_user

PROBE = Path(__file__).with_name("qgis_probe.py")
# The grid layer as the reports page offers it: file name → query of /api/export/grids…
EXPORTS = {
    "grids.gpkg": ".gpkg",
    "grids.shp.zip": ".shp.zip",
    "grids-gbk.shp.zip": ".shp.zip?encoding=GBK",
    "grids.kml": ".kml",
    "grids.geojson": ".geojson",
}
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def server(demo_engine: Engine) -> Iterator[tuple[str, str]]:
    """The app on the demo database with its own connection pool (QGIS asks in parallel) and a committed token."""
    with demo_engine.begin() as conn:
        token = make_user(conn, "qgis-interop", role="analyst")
    url = demo_engine.url.render_as_string(hide_password=False)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "TILE_CACHE_DIR": None, "TILE_SEED_ZOOM": -1})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}", token
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


def test_qgis_opens_oapif_and_vector_tiles_with_the_api_counts(server, demo_engine, tmp_path):
    _qgis_available()
    base, token = server
    headers = {"Authorization": f"Bearer {token}"}
    tileset = requests.get(f"{base}/ogc/collections/grids/tiles/WebMercatorQuad", headers=headers, timeout=30).json()
    template = next(link["href"] for link in tileset["links"] if link["rel"] == "item")
    template = template.replace("{tileMatrix}", "{z}").replace("{tileCol}", "{x}").replace("{tileRow}", "{y}")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    files = []
    for name, query in EXPORTS.items():
        got = requests.get(f"{base}/api/export/grids{query}", headers=headers, timeout=60)
        assert got.status_code == 200, got.text[:300]
        files.append(tmp_path / name)
        files[-1].write_bytes(got.content)
    run = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE), f"{base}/ogc", template, "qgis-interop", token, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    with demo_engine.connect() as conn:
        grids = conn.scalar(text("SELECT count(*) FROM grid WHERE valid_to IS NULL"))
    api = requests.get(f"{base}/ogc/collections/grids/items?limit=1", headers=headers, timeout=30).json()
    assert api["numberMatched"] == grids
    assert seen["oapif"]["valid"], seen
    assert seen["oapif"]["features"] == seen["oapif"]["codes"] == grids
    assert all("网格" in name for name in seen["oapif"]["names"])
    assert seen["tiles"]["valid"], seen
    assert seen["tiles"]["codes"] == grids
    opened = seen["files"]
    assert set(opened) == set(EXPORTS)
    for name, layer in opened.items():
        assert layer["valid"], (name, layer)
        assert layer["features"] == layer["codes"] == grids, (name, layer)
        assert all("网格" in n for n in layer["names"]), (name, layer)  # GBK and UTF-8 both read back as Chinese
        assert layer["crs"] == "EPSG:4326", (name, layer)
    areas = [layer["area"] for layer in opened.values()]  # in degrees²: the same shapes in every format
    assert max(areas) - min(areas) <= 1e-9 * max(areas), opened
