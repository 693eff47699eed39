"""Key places, incidents and hazards from a point file, with flexible (English or Chinese) column names.

Each reader turns a :class:`geo.tables.PointTable` into a frame of the layer's columns (``attributes`` holds the
rest of each row), ``counts`` and ``notes``. Rows without a usable position are reported: key places and hazards
skip them, incidents keep them (off the map, still counted). Category names are matched against a configurable
list with English and Chinese names and aliases.

>>> normalise_category(pd.Series(["网吧", "School", "赵州镇中心小学", "??"]), DEFAULT_CATEGORIES)[0].tolist()
['internet_cafe', 'school', 'school', 'other']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import GeoError
from geo.tables import PointTable, find_column, norm
from geo.times import parse_times, row_list

__all__ = [
    "DEFAULT_CATEGORIES",
    "Points",
    "normalise_category",
    "levels",
    "key_places",
    "incidents",
]

DEFAULT_CATEGORIES: list[dict[str, Any]] = [
    {
        "code": "school",
        "zh": "学校",
        "en": "school",
        "aliases": ["小学", "中学", "幼儿园", "大学", "学院", "kindergarten"],
    },
    {"code": "hospital", "zh": "医院", "en": "hospital", "aliases": ["诊所", "卫生院", "卫生室", "clinic"]},
    {"code": "hotel", "zh": "旅馆", "en": "hotel", "aliases": ["宾馆", "酒店", "旅店", "招待所", "民宿", "motel"]},
    {"code": "internet_cafe", "zh": "网吧", "en": "internet café", "aliases": ["网咖", "internet cafe", "cybercafe"]},
    {
        "code": "bar_ktv",
        "zh": "酒吧/KTV",
        "en": "bar/KTV",
        "aliases": ["酒吧", "ktv", "歌厅", "夜总会", "娱乐场所", "bar"],
    },
    {"code": "petrol_station", "zh": "加油站", "en": "petrol station", "aliases": ["加气站", "gas station"]},
    {"code": "bank", "zh": "银行", "en": "bank", "aliases": ["信用社", "储蓄所", "atm"]},
    {
        "code": "market",
        "zh": "市场",
        "en": "market",
        "aliases": ["超市", "商场", "集市", "农贸市场", "supermarket", "mall"],
    },
    {"code": "construction_site", "zh": "工地", "en": "construction site", "aliases": ["建筑工地", "施工"]},
    {"code": "other", "zh": "其他", "en": "other", "aliases": ["其它"]},
]

_LEVELS = {"低": 1, "一般": 1, "中": 2, "较大": 2, "高": 3, "重大": 3, "特别重大": 4, "low": 1, "medium": 2, "high": 3}
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}

KEY_PLACE_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "id", "编号", "编码", "场所编号", "单位编号"),
    "name": ("name", "名称", "场所名称", "单位名称", "place_name", "名字"),
    "category": ("category", "类别", "场所类别", "类型", "type", "行业", "kind"),
    "risk_level": ("risk_level", "risk", "风险等级", "等级", "level", "风险"),
    "address": ("address", "地址", "详细地址", "addr"),
}
INCIDENT_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "case_number", "case number", "警情编号", "接警编号", "案件编号", "编号", "id"),
    "occurred_at": ("occurred_at", "date", "datetime", "time", "发生时间", "报警时间", "接警时间", "案发时间", "时间"),
    "type": ("type", "primary_type", "警情类型", "警情类别", "案件类型", "类别", "类型", "category"),
    "description": ("description", "desc", "简要案情", "警情内容", "内容", "描述"),
}
HAZARD_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "编号", "隐患编号", "id"),
    "title": ("title", "name", "标题", "隐患名称", "名称", "问题"),
    "category": ("category", "类别", "隐患类别", "类型", "type"),
    "severity": ("severity", "level", "等级", "严重程度", "风险等级", "隐患等级"),
    "description": ("description", "描述", "详情", "内容"),
    "reported_by": ("reported_by", "reporter", "上报人", "发现人", "报告人"),
    "reported_at": ("reported_at", "time", "上报时间", "发现时间", "时间", "date"),
    "state": ("state", "status", "状态"),
    "due_at": ("due_at", "due", "期限", "截止时间", "办结时限"),
}


@dataclass
class Points:
    frame: pd.DataFrame  # the layer's columns, ``attributes`` (dicts), ``lon``, ``lat``
    fields: dict[str, str]
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


def _alias_table(categories: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs = []
    for cat in categories:
        for name in (cat["code"], cat.get("zh"), cat.get("en"), *cat.get("aliases", [])):
            if name:
                pairs.append((norm(name), cat["code"]))
    return sorted(pairs, key=lambda p: -len(p[0]))


def normalise_category(values: pd.Series, categories: list[dict[str, Any]]) -> tuple[pd.Series, dict[str, int]]:
    """Category codes for free-text values; unknown ones become ``other``. Returns codes and unknown counts."""
    table = _alias_table(categories)
    exact = dict(table)
    fallback = "other" if any(c["code"] == "other" for c in categories) else categories[-1]["code"]

    def one(value: str) -> str | None:
        key = norm(value)
        if not key:
            return fallback
        return exact.get(key) or next((code for alias, code in table if len(alias) > 1 and alias in key), None)

    unique = {v: one(str(v)) for v in values.fillna("").astype(str).unique()}
    codes = values.fillna("").astype(str).map(lambda v: unique[v] or fallback)
    unknown = values[values.fillna("").astype(str).map(lambda v: unique[v] is None)].value_counts()
    return codes, {str(k): int(v) for k, v in unknown.items()}


def levels(values: pd.Series) -> pd.Series:
    """Risk or severity levels 1–4 from ``2``, ``2.0``, ``二级``, ``高``, ``较大`` …; None where unreadable."""

    def one(value: str) -> int | None:
        text = str(value).strip().lower()
        if not text:
            return None
        if re.fullmatch(r"\d+(\.0+)?", text):
            return int(float(text))
        if text in _LEVELS:
            return _LEVELS[text]
        match = re.match(r"([一二三四1-4])级", text)
        if match:
            return _CN_DIGITS.get(match.group(1)) or int(match.group(1))
        return next((n for word, n in sorted(_LEVELS.items(), key=lambda kv: -len(kv[0])) if word in text), None)

    return values.fillna("").astype(str).map(one).astype("Int64")


def _pick(table: PointTable, spec: dict[str, tuple[str, ...]], given: dict[str, str | None]) -> dict[str, str]:
    columns = [str(c) for c in table.frame.columns]
    used = set(table.fields.values())
    found: dict[str, str] = {}
    for role, names in spec.items():
        col = find_column([c for c in columns if c not in used], names, given.get(role))
        if col is not None:
            found[role] = col
            used.add(col)
    return found


def _column(table: PointTable, fields: dict[str, str], role: str) -> pd.Series:
    if role not in fields:
        return pd.Series([""] * len(table.frame), dtype=object)
    return table.frame[fields[role]].fillna("").astype(str).str.strip().reset_index(drop=True)


def _attributes(table: PointTable, fields: dict[str, str]) -> list[dict[str, Any]]:
    used = set(fields.values()) | set(table.fields.values())
    rest = table.frame[[c for c in table.frame.columns if c not in used]]
    records = rest.astype(object).where(rest.notna(), None).to_dict("records")
    return [{str(k): v for k, v in rec.items() if v not in (None, "")} for rec in records]


def _base(table: PointTable, fields: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame({"lon": table.lon, "lat": table.lat})
    frame["attributes"] = _attributes(table, fields)
    frame["row"] = np.arange(1, len(frame) + 1)
    return frame


def _require_located(table: PointTable, what: str) -> tuple[np.ndarray, list[str]]:
    located = table.located
    if not located.any():
        raise GeoError(
            f"{table.file_name}: no row has a usable position (lon/lat); {what} need one. Check the coordinate "
            "columns (lon/lat, 经度/纬度) and that they hold degrees."
        )
    notes = []
    if (~located).any():
        notes.append(f"{table.file_name}: rows {row_list(~located)} have no position and were not imported.")
    return located, notes


def key_places(
    table: PointTable, categories: list[dict[str, Any]], given: dict[str, str | None] | None = None
) -> Points:
    """Key places: name (required), category (normalised), risk level, address, optional code."""
    fields = _pick(table, KEY_PLACE_FIELDS, given or {})
    if "name" not in fields:
        raise GeoError(
            f"{table.file_name} has no name column: name it name or 名称 (or pass --name-field). Its columns are: "
            f"{', '.join(map(str, table.frame.columns))}."
        )
    frame = _base(table, fields)
    frame["name"] = _column(table, fields, "name")
    frame["code"] = _column(table, fields, "code").replace("", None)
    source = _column(table, fields, "category")
    frame["category"], unknown = normalise_category(source, categories)
    frame["risk_level"] = levels(_column(table, fields, "risk_level"))
    frame["address"] = _column(table, fields, "address").replace("", None)
    notes = [f"{table.file_name}: unknown categories read as other: {unknown}"] if unknown else []
    for attrs, cat, src in zip(frame["attributes"], frame["category"], source, strict=True):
        if src and cat == "other" and src in unknown:
            attrs["category_source"] = src
    located, missing = _require_located(table, "key places")
    counts = {"rows": len(frame), "features": int(located.sum()), "without_coordinates": int((~located).sum())}
    return Points(frame[located].reset_index(drop=True), fields, counts, table.notes + notes + missing)


def incidents(table: PointTable, timezone: str | None, given: dict[str, str | None] | None = None) -> Points:
    """Incidents: time, type, description, code; rows without a position are kept and reported."""
    fields = _pick(table, INCIDENT_FIELDS, given or {})
    frame = _base(table, fields)
    frame["code"] = _column(table, fields, "code").replace("", None)
    frame["type"] = _column(table, fields, "type").replace("", None)
    frame["description"] = _column(table, fields, "description").replace("", None)
    if "occurred_at" not in fields:
        raise GeoError(
            f"{table.file_name} has no time column: name it time, date, occurred_at or 发生时间/报警时间. Its "
            f"columns are: {', '.join(map(str, table.frame.columns))}."
        )
    parsed = parse_times(_column(table, fields, "occurred_at"), timezone)
    frame["occurred_at"] = parsed.times
    notes = table.notes + [f"{table.file_name}: {n}" for n in parsed.notes]
    if parsed.bad.any():
        notes.append(f"{table.file_name}: rows {row_list(parsed.bad)} hold a time that could not be read.")
    located = table.located
    if (~located).any():
        notes.append(f"{table.file_name}: rows {row_list(~located)} have no coordinates: kept, not on the map.")
    counts = {
        "rows": len(frame),
        "features": len(frame),
        "located": int(located.sum()),
        "without_coordinates": int((~located).sum()),
        "without_time": int((parsed.bad | parsed.missing).sum()),
    }
    return Points(frame, fields, counts, notes)
