"""The report as CSV (one row per grid, UTF-8 with a BOM so that Excel reads the Chinese) and as GeoJSON (every
grid with all its figures as properties, the report's meta data as a foreign member)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np
import shapely

from api.services.reports.columns import GRID, header, shown
from api.services.reports.model import Report

__all__ = ["write_csv", "write_geojson"]

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    # A spreadsheet must not run a formula that came in with the data (a grid named "=HYPERLINK(…)").
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA) else value


def write_csv(report: Report, lang: str = "zh") -> bytes:
    """One row per grid, the columns of the 网格 sheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header(c, lang) for c in GRID])
    for row in report.grids:
        writer.writerow([_safe(shown(row.get(c[0]), c[3], lang)) for c in GRID])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_geojson(report: Report) -> bytes:
    """A FeatureCollection of every grid of the report, in EPSG:4326."""
    shapes = report.shapes["grids"]
    geometry = dict(zip(shapes["code"], shapely.to_geojson(np.asarray(shapes.geometry.values)), strict=True))
    features = []
    for row in report.grids:
        props = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
        geom = geometry.get(row["code"]) or "null"
        code = json.dumps(row["code"], ensure_ascii=False)
        features.append(f'{{"type":"Feature","id":{code},"geometry":{geom},"properties":{props}}}')
    meta = json.dumps(report.meta, ensure_ascii=False, separators=(",", ":"))
    summary = json.dumps(report.summary, ensure_ascii=False, separators=(",", ":"))
    body = ",".join(features)
    text = f'{{"type":"FeatureCollection","report":{meta},"summary":{summary},"features":[{body}]}}'
    return text.encode("utf-8")
