"""Fetch the browser libraries that no pip package ships, pinned and verified, into webmap/static/vendor/.

Leaflet.VectorGrid comes from its npm tarball (the registry is reachable at build time, never at run time).
Idempotent: a file already in place with the expected digest is kept and nothing is downloaded.

    .venv/bin/python scripts/fetch_assets.py
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "webmap" / "static" / "vendor"

PACKAGES = [
    {
        "name": "leaflet.vectorgrid",
        "url": "https://registry.npmjs.org/leaflet.vectorgrid/-/leaflet.vectorgrid-1.3.0.tgz",
        "integrity": "sha512-kWmj1pKM+MVdo/7Mg5zsB3YrGZvo/uIuiANV9MvWUFOG+Y2xAJzrteDhoIcCgTjHSSRJ36xdeGdIQVhuWjnCZw==",
        "folder": "vectorgrid",
        # tarball member -> file name under the folder
        "files": {
            "package/dist/Leaflet.VectorGrid.bundled.min.js": "Leaflet.VectorGrid.bundled.min.js",
            "package/package.json": "package.json",  # names the version and licence
        },
    },
]


def _verify(data: bytes, integrity: str) -> None:
    algo, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"integrity check failed: expected {integrity}, got {algo}-{actual}")


def _present(folder: Path, files: dict[str, str], stamp: str) -> bool:
    marker = folder / ".integrity"
    return (
        marker.is_file() and marker.read_text().strip() == stamp and all((folder / f).is_file() for f in files.values())
    )


def fetch(package: dict, vendor: Path = VENDOR) -> bool:
    """Download, verify and extract one package; return False when it was already in place."""
    folder = vendor / package["folder"]
    if _present(folder, package["files"], package["integrity"]):
        return False
    with urllib.request.urlopen(package["url"], timeout=60) as response:  # noqa: S310 (pinned https URL)
        data = response.read()
    _verify(data, package["integrity"])
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, target in package["files"].items():
            extracted = tar.extractfile(member)
            if extracted is None:
                raise SystemExit(f"{package['name']}: {member} missing from the tarball")
            (folder / target).write_bytes(extracted.read())
    (folder / ".integrity").write_text(package["integrity"] + "\n")
    return True


def main() -> int:
    for package in PACKAGES:
        done = fetch(package)
        print(f"{package['name']}: {'fetched' if done else 'present'} in {VENDOR / package['folder']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
