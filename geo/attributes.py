"""Recognise the typed attribute columns of districts and grids (officer, households …) under common names.

>>> import pandas as pd
>>> typed_columns(pd.DataFrame(columns=["社区民警", "辅警", "x"]), "districts")
{'社区民警': 'officer', '辅警': 'auxiliaries'}
"""

from __future__ import annotations

import pandas as pd

__all__ = ["ALIASES", "typed_columns"]

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "precincts": {},
    "districts": {
        "officer": ("officer", "社区民警", "民警", "责任民警", "sqmj", "mj"),
        "auxiliaries": ("auxiliaries", "auxiliary", "辅警", "辅警数", "辅警人数", "fj"),
    },
    "grids": {
        "community": ("community", "社区", "村", "社区名称", "村居", "村社区", "sq", "sqmc"),
        "township": ("township", "街道", "乡镇", "街道乡镇", "乡镇街道", "jd", "xz", "jdmc"),
        "households": ("households", "户数", "总户数", "hs"),
        "population": ("population", "人口", "实有人口", "人口数", "rk"),
        "grid_worker": ("grid_worker", "网格员", "专职网格员", "wgy"),
    },
}


def typed_columns(frame: pd.DataFrame, layer: str) -> dict[str, str]:
    """``{source column: typed column}`` for the layer, first alias that matches (case-insensitive) wins."""
    by_lower = {str(c).strip().lower(): c for c in frame.columns}
    found: dict[str, str] = {}
    for typed, aliases in ALIASES.get(layer, {}).items():
        for alias in aliases:
            column = by_lower.get(alias.lower())
            if column is not None and column not in found:
                found[column] = typed
                break
    return found
