"""The report as an A4 PDF (reportlab): a cover with the scope, window, versions and figures, then per precinct a
map of its districts and grids coloured by patrol coverage (legend, scale bar) and its tables.

Chinese is set in an embedded TrueType CJK font (:mod:`.fonts`); the maps are vector paths from the pure plan
of :func:`geo.reportmap.coverage_map`.
"""

from __future__ import annotations

import io
from typing import Any

import geopandas as gpd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from api.services.reports.columns import (
    DISTRICT,
    GRID,
    META,
    PRECINCT,
    SHEETS,
    Column,
    header,
    pick,
    scope_label,
    shown,
    summary_rows,
    window_label,
)
from api.services.reports.fonts import cjk_font
from api.services.reports.model import Report
from geo.reportmap import MapPlan, coverage_map

__all__ = ["write_pdf", "PDF_DISTRICT", "PDF_GRID"]

_MARGIN = 14 * mm
_WIDTH = A4[0] - 2 * _MARGIN


def _only(columns: list[Column], keys: str) -> list[Column]:
    by_key = {c[0]: c for c in columns}
    return [by_key[k] for k in keys.split()]


# What fits across A4 portrait; the workbook has every column.
PDF_DISTRICT = _only(DISTRICT, "name officer grids area_km2 households alignment_rate coverage mean_coverage"
                               " min_coverage grids_not_patrolled hazards_opened hazards_closed hazards_overdue"
                               " key_places_visited")  # fmt: skip
PDF_GRID = _only(GRID, "code name district_name area_km2 status households key_places incidents coverage"
                       " last_patrol_at open_hazards overdue_hazards")  # fmt: skip
_PRECINCTS = _only(PRECINCT, "name districts grids alignment_rate coverage min_coverage grids_not_patrolled"
                             " hazards_opened hazards_overdue two_40")  # fmt: skip
_WIDE = {"name": 2.4, "district_name": 1.9, "code": 2.5, "officer": 1.3}
_KIND_WIDTH = {"pct": 1.25, "km2": 1.25, "int": 1.0, "time": 2.3, "status": 1.1, "two40": 1.0}


class _Styles:
    def __init__(self, font: str) -> None:
        self.title = ParagraphStyle("title", fontName=font, fontSize=20, leading=26, spaceAfter=10)
        self.h1 = ParagraphStyle("h1", fontName=font, fontSize=15, leading=20, spaceAfter=6)
        self.h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4)
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=6.5, leading=8)
        self.head = ParagraphStyle("head", fontName=font, fontSize=6.5, leading=8, textColor=colors.white)


class MapFlowable(Flowable):
    """Draws a :class:`MapPlan` (page points) with its legend and scale bar."""

    def __init__(self, plan: MapPlan, font: str, legend_title: str) -> None:
        super().__init__()
        self.plan, self.font, self.legend_title = plan, font, legend_title
        self.width, self.height = plan.width, plan.height

    def draw(self) -> None:
        c: Canvas = self.canv
        for shape in self.plan.polygons:
            path = c.beginPath()
            for ring in shape.rings:
                path.moveTo(*ring[0])
                for x, y in ring[1:]:
                    path.lineTo(x, y)
                path.close()
            c.setLineWidth(shape.width)
            c.setStrokeColor(colors.HexColor(shape.stroke))
            if shape.fill:
                c.setFillColor(colors.HexColor(shape.fill))
            c.drawPath(path, stroke=1, fill=1 if shape.fill else 0, fillMode=0)
        c.setFillColor(colors.black)
        c.setFont(self.font, 7)
        for label in self.plan.labels:
            c.drawCentredString(label.x, label.y - 2, label.text)
        self._legend(c)
        self._scale_bar(c)

    def _legend(self, c: Canvas) -> None:
        c.setFont(self.font, 7)
        c.setFillColor(colors.black)
        c.drawString(4, 20, self.legend_title)
        x = 4.0
        for colour, text in self.plan.legend:
            c.setFillColor(colors.HexColor(colour))
            c.setStrokeColor(colors.grey)
            c.setLineWidth(0.3)
            c.rect(x, 6, 10, 8, stroke=1, fill=1)
            c.setFillColor(colors.black)
            c.drawString(x + 12, 8, text)
            x += 14 + c.stringWidth(text, self.font, 7) + 6

    def _scale_bar(self, c: Canvas) -> None:
        bar = self.plan.scale_bar
        if bar is None:
            return
        c.setStrokeColor(colors.black)
        c.setLineWidth(1.2)
        c.line(bar.x, bar.y, bar.x + bar.length, bar.y)
        for x in (bar.x, bar.x + bar.length / 2, bar.x + bar.length):
            c.line(x, bar.y - 2, x, bar.y + 3)
        text = f"{bar.metres / 1000:g} km" if bar.metres >= 1000 else f"{bar.metres} m"
        c.setFont(self.font, 7)
        c.drawCentredString(bar.x, bar.y + 5, "0")
        c.drawCentredString(bar.x + bar.length, bar.y + 5, text)


class _Bookmark(Flowable):
    """An outline entry (the PDF's table of contents) for the page it lands on."""

    def __init__(self, key: str, title: str) -> None:
        super().__init__()
        self.key, self.title = key, title
        self.width = self.height = 0

    def draw(self) -> None:
        self.canv.bookmarkPage(self.key)
        self.canv.addOutlineEntry(self.title, self.key, level=0)


def _table(columns: list[Column], rows: list[dict[str, Any]], lang: str, styles: _Styles) -> Table:
    weights = [_WIDE.get(c[0], _KIND_WIDTH.get(c[3], 1.6)) for c in columns]
    unit = _WIDTH / sum(weights)
    head = [Paragraph(header(c, lang), styles.head) for c in columns]
    body = [[Paragraph(str(shown(r.get(c[0]), c[3], lang)), styles.cell) for c in columns] for r in rows]
    table = Table([head, *body], colWidths=[w * unit for w in weights], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#34506b")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f5f8")]),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c4cf")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))  # fmt: skip
    return table


def _cover(report: Report, lang: str, styles: _Styles) -> list[Flowable]:
    rows = summary_rows(report, lang)
    story: list[Flowable] = [Paragraph(rows[0][0], styles.title)]
    cells = [[Paragraph(label, styles.body), Paragraph(str(shown(value, kind, lang)), styles.body)]
             for label, value, kind in rows[1:]]  # fmt: skip
    table = Table(cells, colWidths=[60 * mm, _WIDTH - 60 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c4cf")),
                               ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6"))]))  # fmt: skip
    story += [table, Paragraph(pick(SHEETS["precincts"], lang), styles.h2)]
    story.append(_table(_PRECINCTS, report.precincts, lang, styles))
    return story


def _precinct(report: Report, precinct: dict[str, Any], lang: str, styles: _Styles, font: str) -> list[Flowable]:
    code = precinct["code"]
    title = f"{precinct['name'] or code} ({code})"
    grids = [g for g in report.grids if g["precinct"] == code]
    districts = [d for d in report.districts if d["precinct"] == code]
    story: list[Flowable] = [PageBreak(), _Bookmark(f"p-{code}", title), Paragraph(title, styles.h1)]
    story.append(Paragraph(f"{pick(META['window'], lang)}: {window_label(report)}", styles.body))
    shapes = report.shapes
    frame = shapes["grids"][shapes["grids"]["code"].isin({g["code"] for g in grids})]
    if len(frame):
        figures = {g["code"]: g["coverage"] for g in grids}
        frame = frame.assign(coverage=[figures.get(c) for c in frame["code"]])
        names = {d["code"]: d["name"] for d in districts}
        ds = shapes["districts"][shapes["districts"]["code"].isin(names)]
        ds = ds.assign(name=[names.get(c) for c in ds["code"]])
        outline = shapes["precincts"][shapes["precincts"]["code"] == code]
        plan = coverage_map(gpd.GeoDataFrame(frame), gpd.GeoDataFrame(ds), width=_WIDTH, height=125 * mm,
                            outline=gpd.GeoDataFrame(outline), no_data=pick(META["no_data"], lang))  # fmt: skip
        story += [Spacer(1, 4), MapFlowable(plan, font, pick(META["coverage_legend"], lang))]
    story += [Paragraph(pick(SHEETS["districts"], lang), styles.h2), _table(PDF_DISTRICT, districts, lang, styles)]
    story += [Paragraph(pick(SHEETS["grids"], lang), styles.h2), _table(PDF_GRID, grids, lang, styles)]
    return story


def write_pdf(report: Report, lang: str = "zh") -> bytes:
    """The PDF as bytes."""
    font = cjk_font()
    styles = _Styles(font)
    out = io.BytesIO()
    title = f"{pick(META['title'], lang)} · {scope_label(report, lang)}"
    footer = f"{title} · {window_label(report)} · sha256 {report.meta['hash'][:16]}"

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.setFont(font, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(_MARGIN, 8 * mm, footer)
        canvas.drawRightString(A4[0] - _MARGIN, 8 * mm, str(doc.page))

    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
                            bottomMargin=_MARGIN + 4 * mm, title=title, author="jingwang", subject=report.meta["hash"],
                            invariant=True)  # fmt: skip
    story = _cover(report, lang, styles)
    for precinct in report.precincts:
        story += _precinct(report, precinct, lang, styles, font)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()
