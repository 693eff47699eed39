"""The columns of each table of the report, their headers in Chinese and English, and how values are shown.

A column is ``(key, zh, en, kind)``; ``kind`` says how a writer formats it: ``text``, ``int``, ``pct`` (a share
0–1), ``km2``, ``num``, ``time`` (ISO string), ``status`` (alignment), ``two40``, ``state`` (hazard), ``flag``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from geo.lifecycle import LABELS_ZH

if TYPE_CHECKING:
    from api.services.reports.model import Report

__all__ = ["Column", "GRID", "DISTRICT", "PRECINCT", "HAZARD", "SHEETS", "META", "header", "shown", "local_time",
           "pick", "scope_label", "window_label", "summary_rows"]  # fmt: skip

Column = tuple[str, str, str, str]

_PLACE = [
    ("precinct", "派出所编码", "Precinct code", "text"),
    ("precinct_name", "派出所", "Precinct", "text"),
]
_WINDOW = [
    ("alignment_rate", "对齐率", "Alignment rate", "pct"),
    ("coverage", "巡逻覆盖率(面积加权)", "Patrol coverage (area-weighted)", "pct"),
    ("mean_coverage", "平均覆盖率", "Mean coverage", "pct"),
    ("min_coverage", "最低覆盖率", "Lowest coverage", "pct"),
    ("grids_not_patrolled", "未巡逻网格", "Grids not patrolled", "int"),
    ("hazards_opened", "期内新增隐患", "Hazards opened", "int"),
    ("hazards_closed", "期内销号隐患", "Hazards closed", "int"),
    ("hazards_overdue", "期内超期隐患", "Hazards gone overdue", "int"),
    ("key_places_visited", "重点场所巡到率", "Key places visited", "pct"),
]
_COUNTS = [
    ("grids", "网格数", "Grids", "int"),
    ("area_km2", "面积(km²)", "Area (km²)", "km2"),
    ("households", "户数", "Households", "int"),
    ("key_places", "重点场所", "Key places", "int"),
    ("incidents", "期内警情", "Incidents", "int"),
    ("open_hazards", "未销号隐患", "Open hazards", "int"),
    ("overdue_hazards", "超期隐患", "Overdue hazards", "int"),
]

GRID: list[Column] = [
    *_PLACE,
    ("district", "警务区编码", "District code", "text"),
    ("district_name", "警务区", "Police district", "text"),
    ("code", "网格编码", "Grid code", "text"),
    ("name", "网格名称", "Grid name", "text"),
    ("community", "社区/村", "Community", "text"),
    ("area_km2", "面积(km²)", "Area (km²)", "km2"),
    ("status", "对齐状态", "Alignment", "status"),
    ("top_share", "最大占比", "Top share", "pct"),
    ("owner", "归属警务区", "Owner district", "text"),
    ("households", "户数", "Households", "int"),
    ("key_places", "重点场所", "Key places", "int"),
    ("incidents", "期内警情", "Incidents", "int"),
    ("coverage", "巡逻覆盖率", "Patrol coverage", "pct"),
    ("last_patrol_at", "最近巡逻", "Last patrol", "time"),
    ("key_places_visited", "重点场所巡到率", "Key places visited", "pct"),
    ("open_hazards", "未销号隐患", "Open hazards", "int"),
    ("overdue_hazards", "超期隐患", "Overdue hazards", "int"),
]
DISTRICT: list[Column] = [
    *_PLACE,
    ("code", "警务区编码", "District code", "text"),
    ("name", "警务区", "Police district", "text"),
    ("officer", "社区民警", "Community officer", "text"),
    ("auxiliaries", "辅警", "Auxiliaries", "int"),
    *_COUNTS,
    *_WINDOW,
]
PRECINCT: list[Column] = [
    ("code", "派出所编码", "Precinct code", "text"),
    ("name", "派出所", "Precinct", "text"),
    ("districts", "警务区数", "Districts", "int"),
    *_COUNTS,
    *_WINDOW,
    ("police", "派出所警力", "Precinct police", "int"),
    ("community_police", "社区民警", "Community police", "int"),
    ("community_police_share", "社区警力占比", "Community police share", "pct"),
    ("two_40", "两个40%", "Two-40% rule", "two40"),
]
HAZARD: list[Column] = [
    ("code", "编号", "Code", "text"),
    ("title", "标题", "Title", "text"),
    ("category", "类别", "Category", "text"),
    ("severity", "等级", "Severity", "int"),
    ("state", "状态", "State", "state"),
    ("precinct_code", "派出所", "Precinct", "text"),
    ("district_code", "警务区", "District", "text"),
    ("grid_code", "网格", "Grid", "text"),
    ("grid_worker", "网格员", "Grid worker", "text"),
    ("officer", "社区民警", "Community officer", "text"),
    ("reported_at", "上报时间", "Reported", "time"),
    ("due_at", "办结时限", "Due", "time"),
    ("closed_at", "销号时间", "Closed", "time"),
    ("opened", "期内新增", "Opened in window", "flag"),
    ("closed", "期内销号", "Closed in window", "flag"),
    ("overdue_at_end", "期末超期", "Overdue at window end", "flag"),
]
SHEETS = {"summary": ("概况", "Summary"), "precincts": ("派出所", "Precincts"), "districts": ("警务区", "Districts"),
          "grids": ("网格", "Grids"), "hazards": ("隐患台账", "Hazard ledger")}  # fmt: skip
META = {
    "title": ("网格警务覆盖报表", "Grid policing coverage report"),
    "scope": ("范围", "Scope"),
    "all": ("全市", "Whole city"),
    "window": ("统计时段", "Window"),
    "versions": ("边界版本", "Boundary versions"),
    "precincts": ("派出所", "precincts"),
    "districts": ("警务区", "districts"),
    "grids": ("网格", "grids"),
    "generated_at": ("生成时间", "Generated"),
    "hash": ("内容校验(SHA-256)", "Content hash (SHA-256)"),
    "radius": ("巡逻缓冲半径(米)", "Patrol radius (m)"),
    "figure": ("指标", "Figure"),
    "value": ("数值", "Value"),
    "coverage_legend": ("巡逻覆盖率", "Patrol coverage"),
    "no_data": ("无数据", "no data"),
}
_STATUS = {"whole": ("完整", "whole"), "split": ("被切分", "split"), "orphan": ("未覆盖", "orphan")}
_TWO40 = {"ok": ("达标", "met"), "below": ("不足", "below"), "unknown": ("", "")}
_FLAG = {True: ("是", "yes"), False: ("", "")}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def header(column: Column, lang: str) -> str:
    return column[1] if lang == "zh" else column[2]


def local_time(value: str | None) -> datetime | None:
    """An ISO time as the naive local time it was written in (Excel has no zones)."""
    return datetime.fromisoformat(value).replace(tzinfo=None) if value else None


def shown(value: Any, kind: str, lang: str) -> Any:
    """The value as a person reads it (text formats: CSV, PDF); numbers stay numbers except shares."""
    if value is None:
        return ""
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "km2":
        return f"{value:.3f}"
    if kind == "time":
        moment = local_time(value)
        return moment.strftime("%Y-%m-%d %H:%M") if moment else ""
    if kind == "status":
        return pick(_STATUS.get(value, (value, value)), lang)
    if kind == "two40":
        return pick(_TWO40.get(value, (value, value)), lang)
    if kind == "state":
        return LABELS_ZH.get(value, value) if lang == "zh" else value
    if kind == "flag":
        return pick(_FLAG[bool(value)], lang)
    return value


def scope_label(report: Report, lang: str) -> str:
    meta = report.meta
    if not meta.get("precinct"):
        return pick(META["all"], lang)
    return f"{meta.get('precinct_name') or ''} ({meta['precinct']})".strip()


def window_label(report: Report) -> str:
    start, end = (local_time(report.meta[k]) for k in ("from", "to"))
    assert start is not None and end is not None
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


_SUMMARY = [
    ("precincts", "派出所数", "Precincts", "int"),
    ("districts", "警务区数", "Districts", "int"),
    *[
        c
        for c in PRECINCT
        if c[0] not in ("code", "name", "districts", "police", "community_police", "community_police_share", "two_40")
    ],
]


def summary_rows(report: Report, lang: str) -> list[tuple[str, Any, str]]:
    """``(label, value, kind)`` for the summary sheet and the PDF cover: scope, window, versions, figures."""
    meta = report.meta
    rows: list[tuple[str, Any, str]] = [
        (pick(META["title"], lang), "", "text"),
        (pick(META["scope"], lang), scope_label(report, lang), "text"),
        (pick(META["window"], lang), window_label(report), "text"),
    ]
    for layer in ("precincts", "districts", "grids"):
        label = f"{pick(META['versions'], lang)}: {pick(META[layer], lang)}"
        rows.append((label, meta["versions"][layer], "int"))
    rows += [
        (pick(META["radius"], lang), meta["radius_m"], "num"),
        (pick(META["generated_at"], lang), meta["generated_at"], "time"),
        (pick(META["hash"], lang), meta["hash"], "text"),
    ]
    rows += [(header(c, lang), report.summary.get(c[0]), c[3]) for c in _SUMMARY]
    return rows
