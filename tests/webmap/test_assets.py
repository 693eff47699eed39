"""Offline assets: the folium map links only our files; the build-time fetch verifies what it unpacks."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import re
import sys
import tarfile
from pathlib import Path

import pytest

from webmap.mapbuild import DEFAULT_VIEW, build_map, map_parts

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fetch_assets.py"


def _fetch_assets():
    spec = importlib.util.spec_from_file_location("fetch_assets", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["fetch_assets"] = module
    spec.loader.exec_module(module)
    return module


def test_folium_map_has_no_cdn(app):
    with app.test_request_context("/"):
        parts = map_parts(build_map(DEFAULT_VIEW, tile_url="", attribution="x"))
        with_basemap = map_parts(build_map(DEFAULT_VIEW, tile_url="/basemap/{z}/{x}/{y}.png", attribution="x"))
    for text in (parts.header, parts.html, parts.script):
        assert not re.search(r"https?:|//[a-z]", text) and "cdn" not in text.lower()
    assert "/assets/vendor/leaflet/leaflet.js" in parts.header
    assert "tileLayer" not in parts.script, "no basemap unless TILE_URL is set"
    assert "/basemap/{z}/{x}/{y}.png" in with_basemap.script


def _tarball(tmp_path: Path) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (("package/dist/lib.js", b"var x = 1;"), ("package/package.json", b"{}")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    return data, "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_fetch_verifies_extracts_and_then_skips(tmp_path, monkeypatch):
    module = _fetch_assets()
    data, integrity = _tarball(tmp_path)
    package = {
        "name": "demo",
        "url": "https://registry.invalid/demo.tgz",
        "integrity": integrity,
        "folder": "demo",
        "files": {"package/dist/lib.js": "lib.js"},
    }
    calls = []

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(url, timeout):
        calls.append(url)
        return Response(data)

    monkeypatch.setattr(module.urllib.request, "urlopen", fake_urlopen)
    assert module.fetch(package, tmp_path) is True
    assert (tmp_path / "demo" / "lib.js").read_bytes() == b"var x = 1;"
    assert module.fetch(package, tmp_path) is False, "already in place: nothing downloaded"
    assert calls == [package["url"]]
    with pytest.raises(SystemExit, match="integrity check failed"):
        module.fetch({**package, "folder": "other", "integrity": "sha512-AAAA"}, tmp_path)
    assert not (tmp_path / "other").exists(), "nothing unpacked from a file that fails the check"
