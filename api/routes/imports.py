"""``POST /api/imports`` (write) and ``POST /api/imports/preview`` (read and check only), for scripts and the
upload page; ``GET /api/imports`` lists the history."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from api.auth import audit
from api.db import get_session
from api.errors import BadRequest
from api.services import imports, versions
from api.services.options import BOUNDARY_LAYERS, IMPORT_LAYERS, ImportOptions

bp = Blueprint("imports", __name__, url_prefix="/api/imports")

_TEXT_OPTIONS = ("code_field", "name_field", "parent_field", "crs", "encoding", "precinct")


@contextmanager
def _uploaded(options: ImportOptions) -> Iterator[Path]:
    """The request's files saved in a fresh folder (removed on every path); yields the main file.

    Several files may come together (a bare .shp with its .dbf/.shx/.prj/.cpg): the .shp is the main one. A
    hazard file's history comes as field ``history`` (set on ``options``).
    """
    files = [f for f in request.files.getlist("file") if f.filename]
    if not files:
        raise BadRequest("no file: send it as multipart form field 'file'")
    uploads = Path(current_app.config["JINGWANG_HOME"]) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=uploads))
    try:
        saved = []
        for f in files:
            target = folder / _safe_name(f.filename or "")
            f.save(target)
            saved.append(target)
        main = next((p for p in saved if p.suffix.lower() == ".shp"), saved[0])
        history = request.files.get("history")
        if history is not None and history.filename:
            options.history = folder / "history" / _safe_name(history.filename)
            options.history.parent.mkdir()
            history.save(options.history)
        yield main
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _safe_name(filename: str) -> str:
    """The base name only, Chinese kept (werkzeug's secure_filename would drop it all), never hidden or empty."""
    name = filename.replace("\\", "/").split("/")[-1].replace("\x00", "").strip()
    return name if name and not name.startswith(".") else "upload" + Path(name).suffix


def _options() -> tuple[str, ImportOptions]:
    form = request.form
    layer = form.get("layer", "")
    if layer not in IMPORT_LAYERS:
        raise BadRequest(f"layer must be one of {', '.join(IMPORT_LAYERS)}, got {layer!r}")
    values: dict[str, Any] = {k: (form.get(k) or None) for k in _TEXT_OPTIONS}
    values["layer"] = form.get("source_layer") or None
    values["coords"] = form.get("coords") or "wgs84"
    values["mode"] = form.get("mode") or "replace"
    values["user"] = audit.actor()  # who signed in, never what the form claims
    values["max_bytes"] = current_app.config.get("MAX_UPLOAD_BYTES", 200 * 2**20)
    return layer, ImportOptions(**values)


@bp.post("")
def create() -> Any:
    layer, options = _options()
    with _uploaded(options) as path:
        summary = imports.import_file(get_session(), layer, path, options)
    return jsonify(summary), 201


@bp.post("/preview")
def preview() -> Any:
    layer, options = _options()
    if layer not in BOUNDARY_LAYERS:
        raise BadRequest("preview is for boundary layers: precincts, districts, grids")
    with _uploaded(options) as path:
        summary = imports.preview(get_session(), layer, path, options)
    return jsonify(summary)


@bp.get("")
def history() -> Any:
    layer = request.args.get("layer") or None
    return jsonify({"imports": versions.list_imports(get_session(), layer)})
