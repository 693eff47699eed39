"""Which attribute columns hold a feature's code, name and parent code — and are they what they claim?

Columns given by the user win. Otherwise common names are recognised (code/编码/编号/BM/DM…, name/名称/MC…,
所属…/precinct/district…), including well-known ones of real files (Chicago's ``DIST_NUM``, ``BEAT_NUM``,
``AREA_NUMBE``, San Francisco's ``DISTRICT``). The choice and its reasons are reported. A code column that
holds names while the name column holds numbers means the columns are shifted against their headers: refused.

Codes are text: a text column stays as it is (leading zeros kept), an integer column becomes its integer
string, a float column with integral values (``1.0``) becomes ``"1"``.

>>> import pandas as pd
>>> code_strings(pd.Series([1.0, 2.5, None])).tolist()
['1', '2.5', None]
>>> code_strings(pd.Series([" 0111 ", ""])).tolist()
['0111', None]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from geopandas.array import GeometryDtype

from geo.errors import FieldError, ShiftedColumnsError

__all__ = ["KINDS", "Fields", "code_strings", "pick_fields"]

KINDS = ("precincts", "districts", "grids", "points")

_CODE_COMMON = ("code", "编码", "编号", "代码", "bm", "dm", "bh")
_CODE: dict[str, tuple[str, ...]] = {
    "precincts": ("precinct_code", "pcsdm", "pcsbm", "派出所代码", "派出所编码", "派出所编号", "precinct")
    + ("dist_num", "district"),
    "districts": ("district_code", "jwqbm", "jwqdm", "jwqbh", "警务区编码", "警务区编号", "警务区代码")
    + ("警格编码", "警格编号", "beat_num", "dist_num", "district"),
    "grids": ("grid_code", "wgbm", "wgdm", "wgbh", "网格编码", "网格编号", "网格代码", "area_numbe")
    + ("area_num_1", "area_number", "beat_num"),
    "points": ("id",),
}
_NAME_COMMON = ("name", "名称", "mc", "名字", "label")
_NAME: dict[str, tuple[str, ...]] = {
    "precincts": ("pcsmc", "派出所名称", "派出所", "dist_label"),
    "districts": ("jwqmc", "警务区名称", "警格名称", "警务区", "dist_label"),
    "grids": ("wgmc", "网格名称", "网格", "community", "neighborhood", "nhood"),
    "points": ("place_name", "场所名称", "单位名称"),
}
_PARENT_COMMON = ("parent_code", "parent", "sjbm", "上级编码")
_PARENT: dict[str, tuple[str, ...]] = {
    "precincts": (),
    "districts": ("precinct_code", "precinct", "pcsdm", "pcsbm", "所属派出所编码", "所属派出所代码")
    + ("所属派出所", "派出所代码", "派出所编码", "district"),
    "grids": ("district_code", "jwqbm", "jwqdm", "所属警务区编码", "所属警务区", "警务区编码", "警务区编号")
    + ("district", "dist_num"),
    "points": (),
}
_NAMEY = re.compile(r"^[^\d]*[^\W\d_][^\d]*$")  # letters (any script), no digit
_CODEY = re.compile(r"^[A-Za-z]{0,3}[-_]?\d[\d\-_.]*$")


@dataclass
class Fields:
    """The columns chosen for code, name and parent (None when absent) and why; ``kind`` as asked."""

    code: str | None
    name: str | None
    parent: str | None
    reasons: list[str] = field(default_factory=list)
    kind: str = "grids"


def _code_text(value: Any) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    return text or None


def code_strings(values: pd.Series) -> pd.Series:
    """Codes as text (None where missing), index kept: see the module docstring for the rules."""
    return pd.Series([_code_text(v) for v in values.tolist()], index=values.index, dtype=object)


def _attribute_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if not isinstance(frame[c].dtype, GeometryDtype)]


def _given(frame: pd.DataFrame, column: str, role: str) -> str:
    columns = _attribute_columns(frame)
    if column in columns:
        return column
    folded = [c for c in columns if c.lower() == column.lower()]
    if len(folded) == 1:
        return folded[0]
    source = frame.attrs.get("source", "the file")
    raise FieldError(f"{source} has no column {column!r} for the {role}; its columns are: {', '.join(columns)}.")


def _match(columns: list[str], names: tuple[str, ...], taken: set[str]) -> str | None:
    lower: dict[str, str] = {}
    for column in columns:
        lower.setdefault(column.strip().lower(), column)
    return next((lower[n] for n in names if n in lower and lower[n] not in taken), None)


def _by_suffix(columns: list[str], suffixes: tuple[str, ...], taken: set[str]) -> str | None:
    for column in columns:
        low = column.strip().lower()
        if column not in taken and not low.startswith(("所属", "上级")) and low.endswith(suffixes):
            return column
    return None


def _recognise(columns: list[str], kind: str, role: str, taken: set[str]) -> str | None:
    if role == "code":
        return _match(columns, _CODE_COMMON + _CODE[kind], taken) or (
            None if kind == "points" else _by_suffix(columns, ("编码", "编号", "代码"), taken)
        )
    if role == "name":
        return _match(columns, _NAME_COMMON + _NAME[kind], taken) or _by_suffix(
            columns, ("名称", "_name", " name"), taken
        )
    if kind in ("precincts", "points"):
        return None
    found = _match(columns, _PARENT_COMMON + _PARENT[kind], taken)
    return found or next((c for c in columns if c.startswith("所属") and c not in taken), None)


def _sample(frame: pd.DataFrame, column: str) -> list[str]:
    values = code_strings(frame[column]).dropna().drop_duplicates()
    return [str(v) for v in values.head(200)]


def _share(values: list[str], pattern: re.Pattern[str]) -> float:
    return sum(bool(pattern.match(v)) for v in values) / len(values) if values else 0.0


def _check_shifted(frame: pd.DataFrame, code: str, name: str) -> None:
    codes, names = _sample(frame, code), _sample(frame, name)
    if _share(codes, _NAMEY) >= 0.8 and _share(names, _CODEY) >= 0.8:
        source = frame.attrs.get("source", "the file")
        raise ShiftedColumnsError(
            f"{source}: the attribute columns look shifted against their headers: the code column {code} "
            f"holds names ({', '.join(codes[:3])}) and the name column {name} holds numbers "
            f"({', '.join(names[:3])}). The table was probably exported out of step; export it again from "
            f"the original. If only the headers are wrong, pass --code-field {name} --name-field {code}."
        )


def pick_fields(
    frame: pd.DataFrame,
    kind: str,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
) -> Fields:
    """Choose the code, name and parent columns of ``frame`` for a layer of ``kind``.

    Raises :class:`FieldError` when a given column does not exist or (except for points) no code column is
    found, and :class:`ShiftedColumnsError` when the code column holds names and the name column numbers.
    """
    if kind not in KINDS:
        raise FieldError(f"unknown layer kind {kind!r}: use one of {', '.join(KINDS)}.")
    columns = _attribute_columns(frame)
    chosen: dict[str, str | None] = {}
    reasons: list[str] = []
    for role, given in (("code", code_field), ("name", name_field), ("parent", parent_field)):
        taken = {c for c in chosen.values() if c}
        column = _given(frame, given, role) if given else _recognise(columns, kind, role, taken)
        chosen[role] = column
        how = "given" if given else ("recognised by its name" if column else "none recognised")
        reasons.append(f"{role}: {column or '-'} ({how})")
    if chosen["code"] is None and kind != "points":
        source = frame.attrs.get("source", "the file")
        raise FieldError(
            f"{source}: no column holding the {kind} codes was recognised; pass --code-field with one of: "
            f"{', '.join(columns)}."
        )
    if chosen["code"] and chosen["name"]:
        _check_shifted(frame, chosen["code"], chosen["name"])
    return Fields(chosen["code"], chosen["name"], chosen["parent"], reasons, kind)
