"""Coverage reports (issue #7): one report model (:mod:`.model`), written as XLSX, CSV, PDF or GeoJSON.

>>> sorted(FORMATS)
['csv', 'geojson', 'pdf', 'xlsx']
"""

from __future__ import annotations

from api.errors import BadRequest
from api.services.reports.model import STAGES, Report, build_report, content_hash, default_window

__all__ = ["FORMATS", "LANGS", "STAGES", "Report", "build_report", "content_hash", "default_window", "file_name",
           "render"]  # fmt: skip

# format -> (media type, file suffix)
FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "pdf": ("application/pdf", "pdf"),
    "geojson": ("application/geo+json", "geojson"),
}
LANGS = ("zh", "en")


def render(report: Report, fmt: str, lang: str = "zh") -> bytes:
    """The report's bytes in ``fmt`` (xlsx, csv, pdf, geojson); ``lang`` zh or en for headers and words."""
    if lang not in LANGS:
        raise BadRequest(f"lang must be zh or en, got {lang!r}")
    if fmt == "xlsx":
        from api.services.reports.xlsx import write_xlsx

        return write_xlsx(report, lang)
    if fmt == "csv":
        from api.services.reports.tables import write_csv

        return write_csv(report, lang)
    if fmt == "geojson":
        from api.services.reports.tables import write_geojson

        return write_geojson(report)
    if fmt == "pdf":
        from api.services.reports.pdf import write_pdf

        return write_pdf(report, lang)
    raise BadRequest(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")


def file_name(report: Report, fmt: str, lang: str = "en") -> str:
    """``coverage-report-130133-01-2026-11-01_2026-11-08.xlsx`` (``zh``: ``网格警务覆盖报表-<派出所>-…``)."""
    meta = report.meta
    start, end = meta["from"][:10], meta["to"][:10]
    if lang == "zh":
        scope = meta.get("precinct_name") or meta.get("precinct") or "全市"
        return f"网格警务覆盖报表-{scope}-{start}_{end}.{FORMATS[fmt][1]}"
    return f"coverage-report-{meta.get('precinct') or 'all'}-{start}_{end}.{FORMATS[fmt][1]}"
