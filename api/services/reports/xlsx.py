"""The report as an Excel workbook (XlsxWriter): 概况, 派出所, 警务区, 网格, 隐患台账.

Each sheet has a bold frozen header row, an autofilter and widths to fit; shares are formatted as %, areas in
km² with three decimals, times as local dates. Number formats sit on the columns, so 20,000 rows are written
without a style object per cell.
"""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from api.services.reports.columns import (
    DISTRICT,
    GRID,
    HAZARD,
    META,
    PRECINCT,
    SHEETS,
    Column,
    header,
    local_time,
    pick,
    shown,
    summary_rows,
)
from api.services.reports.model import Report

__all__ = ["write_xlsx"]

_FORMATS = {"pct": "0.0%", "km2": "0.000", "time": "yyyy-mm-dd hh:mm", "int": "0", "num": "0.0"}
_RAW = ("text", "int", "pct", "km2", "num")  # written as they are; the other kinds are shown as words


def _width(column: Column, lang: str, rows: list[dict[str, Any]]) -> float:
    def size(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    sample = [size(str(r.get(column[0]) or "")) for r in rows[:200]]
    fixed = {"pct": 8, "km2": 9, "time": 16, "int": 7}.get(column[3], 0)
    return min(40, max(size(header(column, lang)), fixed, *sample, 6) + 2)


def _values(column: Column, rows: list[dict[str, Any]], lang: str) -> list[Any]:
    """The column's cells, converted once per column rather than per cell."""
    key, _zh, _en, kind = column
    values = [row.get(key) for row in rows]
    if kind == "time":
        return [local_time(v) for v in values]
    if kind in _RAW:
        return values
    return [shown(v, kind, lang) for v in values]


def _table(book: xlsxwriter.Workbook, sheet: Worksheet, columns: list[Column], rows: list[dict[str, Any]],
           lang: str) -> None:  # fmt: skip
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    for i, column in enumerate(columns):
        spec = _FORMATS.get(column[3])
        sheet.set_column(i, i, _width(column, lang, rows), book.add_format({"num_format": spec}) if spec else None)
    sheet.write_row(0, 0, [header(c, lang) for c in columns], bold)
    # Each value goes by its exact type to XlsxWriter's typed writers, where ``write`` would send it (the string
    # conversions are off), without its dispatch per cell. Row by row, so the shared strings keep their order.
    number, string, other = sheet.write_number, sheet.write_string, sheet.write
    for r, cells in enumerate(zip(*(_values(c, rows, lang) for c in columns), strict=True), start=1):
        for c, value in enumerate(cells):
            kind = value.__class__
            if kind is str:
                if value:  # "" is a blank cell without a format: nothing is stored
                    string(r, c, value)
            elif kind is float or kind is int:
                number(r, c, value)
            elif value is not None:
                other(r, c, value)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)


def _summary(book: xlsxwriter.Workbook, sheet: Worksheet, report: Report, lang: str) -> None:
    rows = summary_rows(report, lang)
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    formats = {kind: book.add_format({"num_format": spec}) for kind, spec in _FORMATS.items()}
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 70)
    sheet.write_row(0, 0, [pick(META["figure"], lang), pick(META["value"], lang)], bold)
    for r, (label, value, kind) in enumerate(rows, start=1):
        sheet.write(r, 0, label)
        if kind in formats and value is not None:
            sheet.write(r, 1, local_time(value) if kind == "time" else value, formats[kind])
        else:
            sheet.write(r, 1, "" if value is None else value)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(rows), 1)


def write_xlsx(report: Report, lang: str = "zh") -> bytes:
    """The workbook as bytes; ``lang`` is ``zh`` (default) or ``en`` for the headers and words."""
    out = io.BytesIO()
    # Values are typed already: skip XlsxWriter's per-string checks for numbers, formulas and URLs.
    options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    book = xlsxwriter.Workbook(out, {"in_memory": True, "default_date_format": _FORMATS["time"], **options})
    book.set_properties({"title": pick(META["title"], lang), "comments": f"sha256 {report.meta['hash']}"})
    name = {key: pair[0] if lang == "zh" else pair[1] for key, pair in SHEETS.items()}
    _summary(book, book.add_worksheet(name["summary"]), report, lang)
    for key, columns, rows in (
        ("precincts", PRECINCT, report.precincts),
        ("districts", DISTRICT, report.districts),
        ("grids", GRID, report.grids),
        ("hazards", HAZARD, report.hazards),
    ):
        _table(book, book.add_worksheet(name[key]), columns, rows, lang)
    book.close()
    return out.getvalue()
