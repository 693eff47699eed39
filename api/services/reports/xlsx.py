"""The report as an Excel workbook: 概况, 派出所, 警务区, 网格, 隐患台账.

Each sheet has a bold frozen header row, an autofilter and widths to fit; shares are formatted as %, areas in
km² with three decimals, times as local dates. Number formats sit on the columns, and each cell carries its
column's format, as XlsxWriter writes a cell without a format of its own.

XlsxWriter writes the workbook — styles, the summary sheet, and of each table its header row, columns, frozen
pane and autofilter. The tables' rows (20,000 grids: ~400,000 cells) are then put into their sheets' XML as
this module writes them: one column at a time, each distinct string escaped once, numbers as their shortest
exact text, strings in line (``t="inlineStr"``, as XlsxWriter's own ``constant_memory`` mode writes them).
XlsxWriter's cell by cell path took 2.3 s for the city's workbook; this way it takes 0.45 s.
"""

from __future__ import annotations

import io
import math
import numbers
import re
import zipfile
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
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
_MAX_STRING = 32_767  # Excel's limit on a cell's text
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")  # text that reads as an escape: its _ escaped
_EDGE_SPACE = re.compile(r"^\s|\s$")
_DAY_ZERO = datetime(1899, 12, 31)  # Excel's serial 0 (with its 1900 leap day after serial 59)
# Deflate level of the table sheets: 0.09 s and 2.0 MB for the city, where XlsxWriter's level 6 takes 0.2 s
# for 1.7 MB (compressing in a second thread while the XML is made gained nothing on a busy machine).
_LEVEL = 3


def _width(column: Column, lang: str, rows: list[dict[str, Any]]) -> float:
    def size(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    sample = [size(str(r.get(column[0]) or "")) for r in rows[:200]]
    fixed = {"pct": 8, "km2": 9, "time": 16, "int": 7}.get(column[3], 0)
    return min(40, max(size(header(column, lang)), fixed, *sample, 6) + 2)


def _columns(columns: list[Column], rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows' values, one tuple per column: each row read once, all its keys at a time (a pass over the
    20,000 rows per column cost 0.2 s more, the rows being spread in memory)."""
    keys = [c[0] for c in columns]
    try:
        table = list(map(itemgetter(*keys), rows)) if len(keys) > 1 else [(row[keys[0]],) for row in rows]
    except KeyError:  # a row without some key: empty cells there
        table = [tuple(row.get(k) for k in keys) for row in rows]
    return list(zip(*table, strict=True)) if table else [() for _ in keys]


def _values(column: Column, values: tuple[Any, ...], lang: str) -> tuple[Any, ...] | list[Any]:
    """The column's cells, converted once per column rather than per cell."""
    kind = column[3]
    if kind == "time":
        return [local_time(v) for v in values]
    if kind in _RAW:
        return values
    return [shown(v, kind, lang) for v in values]


def _text(value: str) -> str:
    """A string as the text of an in-line string element (what XlsxWriter does to one)."""
    value = value[:_MAX_STRING]
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "_x" in value:
        value = _ESCAPED.sub(r"_x005F\1", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    space = ' xml:space="preserve"' if _EDGE_SPACE.search(value) else ""
    return f"<is><t{space}>{value}</t></is>"


def _serial(moment: datetime) -> float:
    """Excel's serial day of a naive datetime (as XlsxWriter computes it)."""
    delta = moment - _DAY_ZERO
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    return serial + 1 if serial > 59 else serial


def _cells(values: tuple[Any, ...] | list[Any], col: int, style: int | None, first: int) -> list[str]:
    """The ``<c>`` elements of one column from row ``first`` (1-based) on ("" for an empty cell)."""
    letter = xl_col_to_name(col)
    s = f' s="{style}"' if style else ""
    strings: dict[str, str] = {}  # each distinct string escaped once
    out: list[str] = []
    add = out.append
    for row, value in enumerate(values, start=first):
        kind = value.__class__
        if kind is str:
            if not value:  # "" is a blank cell without a format: nothing is stored
                add("")
                continue
            tail = strings.get(value)
            if tail is None:
                tail = strings[value] = f'{s} t="inlineStr">{_text(value)}</c>'
            add(f'<c r="{letter}{row}"{tail}')
        elif kind is float:
            add(f'<c r="{letter}{row}"{s}><v>{value!r}</v></c>' if math.isfinite(value) else "")
        elif kind is int:
            add(f'<c r="{letter}{row}"{s}><v>{value}</v></c>')
        elif kind is datetime:
            add(f'<c r="{letter}{row}"{s}><v>{_serial(value)!r}</v></c>')
        elif value is None:
            add("")
        else:
            add(_other(value, f"{letter}{row}", s))
    return out


def _other(value: Any, ref: str, s: str) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}"{s}><v>{_serial(value)!r}</v></c>'
    if isinstance(value, numbers.Real | Decimal):  # numpy's numbers among them
        number = float(value)
        return f'<c r="{ref}"{s}><v>{number!r}</v></c>' if math.isfinite(number) else ""
    return f'<c r="{ref}"{s} t="inlineStr">{_text(str(value))}</c>'


def _sheet_rows(columns: list[Column], rows: list[dict[str, Any]], lang: str, styles: list[int | None]) -> str:
    """The ``<row>`` elements of a table from row 2 on; ``styles`` the format index of each column."""
    cells = [_cells(_values(c, values, lang), i, styles[i], 2)
             for i, (c, values) in enumerate(zip(columns, _columns(columns, rows), strict=True))]  # fmt: skip
    spans = f' spans="1:{len(columns)}"'
    return "".join([f'<row r="{r}"{spans}>{"".join(row)}</row>'
                    for r, row in enumerate(zip(*cells, strict=True), start=2)])  # fmt: skip


def _table(book: xlsxwriter.Workbook, sheet: Worksheet, columns: list[Column], rows: list[dict[str, Any]],
           lang: str) -> list[Format | None]:  # fmt: skip
    """The sheet's header, columns, pane and filter; its rows are written later. The columns' formats."""
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    formats: list[Format | None] = []
    for i, column in enumerate(columns):
        spec = _FORMATS.get(column[3])
        formats.append(book.add_format({"num_format": spec}) if spec else None)
        sheet.set_column(i, i, _width(column, lang, rows), formats[-1])
    sheet.write_row(0, 0, [header(c, lang) for c in columns], bold)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
    return formats


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


def _split(xml: str, last_row: int, last_col: int) -> tuple[str, str]:
    """A header-only sheet's XML cut where its rows go, its dimension widened to ``last_row``/``last_col``."""
    end = xml.index("</sheetData>")
    ref = f"A1:{xl_col_to_name(last_col)}{last_row}"
    head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', xml[:end], count=1)
    return head, xml[end:]


def write_xlsx(report: Report, lang: str = "zh") -> bytes:
    """The workbook as bytes; ``lang`` is ``zh`` (default) or ``en`` for the headers and words."""
    out = io.BytesIO()
    # Values are typed already: skip XlsxWriter's per-string checks for numbers, formulas and URLs.
    options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    book = xlsxwriter.Workbook(out, {"in_memory": True, "default_date_format": _FORMATS["time"], **options})
    book.set_properties({"title": pick(META["title"], lang), "comments": f"sha256 {report.meta['hash']}"})
    name = {key: pair[0] if lang == "zh" else pair[1] for key, pair in SHEETS.items()}
    _summary(book, book.add_worksheet(name["summary"]), report, lang)
    tables: dict[str, tuple[list[Column], list[dict[str, Any]], list[Format | None]]] = {}
    for key, columns, rows in (
        ("precincts", PRECINCT, report.precincts),
        ("districts", DISTRICT, report.districts),
        ("grids", GRID, report.grids),
        ("hazards", HAZARD, report.hazards),
    ):
        sheet = book.add_worksheet(name[key])
        tables[f"xl/worksheets/sheet{len(book.worksheets())}.xml"] = (columns, rows, _table(book, sheet, columns,
                                                                                          rows, lang))  # fmt: skip
    book.close()  # the format indexes are known from here on
    return _with_rows(out.getvalue(), tables, lang)


def _with_rows(package: bytes, tables: dict[str, tuple[list[Column], list[dict[str, Any]], list[Format | None]]],
               lang: str) -> bytes:  # fmt: skip
    """XlsxWriter's package with the tables' rows put into their sheets (the other parts copied as they are)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            table = tables.get(info.filename)
            if table is None or not table[1]:
                target.writestr(info, data)
                continue
            columns, rows, formats = table
            # A format equal to one used before shares its index without being given it: ask for it.
            styles = [None if f is None else f._get_xf_index() for f in formats]
            head, tail = _split(data.decode("utf-8"), len(rows) + 1, len(columns) - 1)
            xml = head + _sheet_rows(columns, rows, lang, styles) + tail
            target.writestr(info, xml.encode("utf-8"), compresslevel=_LEVEL)
    return out.getvalue()
