"""Join the services' documents into the report's rows (pure: documents in, :class:`Report` out).

Every figure is taken from the service that computes it: statuses and alignment rates from the alignment
document, coverage (per grid and aggregated) from the coverage document, counts from the grid statistics and
hazard queries, the 两个40% check from the workload document. Only sums and the per-district alignment rate
(whole grids among the grids filed under the district) are added here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

import geopandas as gpd

__all__ = ["assemble", "grid_rows"]

Doc = dict[str, Any]
_WINDOW = ("opened", "closed", "overdue")


def _by_code(items: list[Doc]) -> dict[str, Doc]:
    return {str(item["code"]): item for item in items}


def _int(value: Any) -> int | None:
    return None if value is None or value != value else int(value)


def grid_rows(shapes: dict[str, gpd.GeoDataFrame], covered: Doc, counts: dict[str, Doc],
              open_counts: dict[str, dict[str, int]]) -> list[Doc]:  # fmt: skip
    """The grid rows, sorted, but for the alignment's figures (``status``, ``owner``, ``top_share``: None until
    :func:`assemble` puts them in): made while the alignment may still be computing."""
    grids = shapes["grids"]
    names = {k: dict(zip(shapes[k]["code"], shapes[k]["name"], strict=True)) for k in ("districts", "precincts")}
    pnames, dnames = names["precincts"], names["districts"]
    coverage = _by_code(covered["grids"])
    none: Doc = {}
    # Column lists zipped, not a dict per frame row: 20,000 grids.
    fields = ("code", "name", "community", "township", "precinct_code", "district_code", "households", "population")
    rows = []
    for code, name, community, township, pcode, dcode, households, population in zip(
        *(grids[f].tolist() for f in fields), strict=True
    ):
        code = str(code)
        c, n, hz = coverage.get(code, none), counts.get(code, none), open_counts.get(code, none)
        rows.append({
            "precinct": pcode, "precinct_name": pnames.get(pcode),
            "district": dcode, "district_name": dnames.get(dcode),
            "code": code, "name": name, "community": community, "township": township,
            "area_km2": round(float(c.get("area_m2", 0.0)) / 1e6, 4),
            "status": None, "owner": None, "top_share": None,
            "households": _int(households), "population": _int(population),
            "key_places": int(n.get("key_places", 0)), "incidents": int(n.get("incidents", 0)),
            "coverage": c.get("coverage"), "last_patrol_at": c.get("last_patrol_at"),
            "fixes": c.get("fixes"), "minutes": c.get("minutes"),
            "key_places_visited": c.get("key_places_visited"),
            "open_hazards": hz.get("open", 0), "overdue_hazards": hz.get("overdue", 0),
        })  # fmt: skip
    rows.sort(key=lambda r: (r["precinct"] or "", r["district"] or "", r["code"]))
    return rows


def _aligned(rows: list[Doc], aligned: Doc) -> None:
    """The alignment's figures put into the grid rows."""
    status, none = _by_code(aligned["grids"]), cast(Doc, {})
    for row in rows:
        a = status.get(row["code"], none)
        shares = a.get("shares") or []
        row["status"], row["owner"] = a.get("status"), a.get("owner")
        row["top_share"] = shares[0]["share"] if shares else 0.0


def _window_counts(hazards: list[Doc], key: str) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for h in hazards:
        counter = out.setdefault(str(h[key]), Counter())
        counter.update(flag for flag in _WINDOW if h[flag])
    return out


def _coverage_figures(entry: Doc | None) -> Doc:
    entry = entry or {}
    return {
        "coverage": entry.get("coverage"),
        "mean_coverage": entry.get("mean_coverage"),
        "min_coverage": entry.get("min_coverage"),
        "grids_not_patrolled": entry.get("grids_not_patrolled", 0),
        "key_places_visited": entry.get("key_places_visited"),
    }


def _sums(rows: list[Doc]) -> Doc:
    # One pass over the rows (a pass per figure took 0.2 s for the city's districts and precincts); the areas are
    # summed by sum() as before, so the figures stay the same to the last bit.
    whole = households = places = incidents = open_hazards = overdue_hazards = 0
    for r in rows:
        whole += r["status"] == "whole"
        households += r["households"] or 0
        places += r["key_places"]
        incidents += r["incidents"]
        open_hazards += r["open_hazards"]
        overdue_hazards += r["overdue_hazards"]
    return {
        "grids": len(rows),
        "whole": whole,
        "area_km2": round(sum([r["area_km2"] for r in rows]), 4),
        "households": households,
        "key_places": places,
        "incidents": incidents,
        "open_hazards": open_hazards,
        "overdue_hazards": overdue_hazards,
    }


def _hazard_figures(counter: Counter[str] | None) -> Doc:
    counter = counter or Counter()
    return {f"hazards_{flag}": counter[flag] for flag in _WINDOW}


def _group(grids: list[Doc], key: str) -> dict[str, list[Doc]]:
    out: dict[str, list[Doc]] = {}
    for g in grids:
        out.setdefault(str(g[key]), []).append(g)
    return out


def _district_rows(shapes: dict[str, gpd.GeoDataFrame], grids: list[Doc], covered: Doc,
                   hazards: list[Doc]) -> list[Doc]:  # fmt: skip
    cov, hz = _by_code(covered["districts"]), _window_counts(hazards, "district_code")
    groups = _group(grids, "district")
    pnames = dict(zip(shapes["precincts"]["code"], shapes["precincts"]["name"], strict=True))
    rows = []
    for d in shapes["districts"].drop(columns="geometry").to_dict("records"):
        sums = _sums(groups.get(str(d["code"]), []))
        rate = round(sums["whole"] / sums["grids"], 4) if sums["grids"] else None
        rows.append({
            "precinct": d["precinct_code"], "precinct_name": pnames.get(d["precinct_code"]),
            "code": str(d["code"]), "name": d["name"], "officer": d["officer"], "auxiliaries": _int(d["auxiliaries"]),
            **sums, "alignment_rate": rate, **_coverage_figures(cov.get(str(d["code"]))),
            **_hazard_figures(hz.get(str(d["code"]))),
        })  # fmt: skip
    rows.sort(key=lambda r: (r["precinct"] or "", r["code"]))
    return rows


def _precinct_rows(shapes: dict[str, gpd.GeoDataFrame], grids: list[Doc], aligned: Doc, covered: Doc,
                   hazards: list[Doc], staffing: Doc) -> list[Doc]:  # fmt: skip
    align, cov = _by_code(aligned.get("precincts", [])), _by_code(covered["precincts"])
    staff, hz = _by_code(staffing.get("precincts", [])), _window_counts(hazards, "precinct_code")
    groups, parents = _group(grids, "precinct"), Counter(str(c) for c in shapes["districts"]["precinct_code"])
    rows = []
    for p in shapes["precincts"].drop(columns="geometry").to_dict("records"):
        code = str(p["code"])
        s = staff.get(code, {})
        rows.append({
            "code": code, "name": p["name"],
            "districts": parents[code], **_sums(groups.get(code, [])),
            "alignment_rate": align.get(code, {}).get("alignment_rate"),
            **_coverage_figures(cov.get(code)), **_hazard_figures(hz.get(code)),
            "police": s.get("police"), "community_police": s.get("officers"),
            "community_police_share": s.get("community_police_share"), "two_40": s.get("two_40", "unknown"),
        })  # fmt: skip
    return rows


def _summary(grids: list[Doc], aligned: Doc, hazards: list[Doc], districts: int, precincts: list[Doc]) -> Doc:
    area = sum(g["area_km2"] for g in grids)
    places = sum(g["key_places"] for g in grids)
    visited = sum(g["key_places"] * (g["key_places_visited"] or 0.0) for g in grids)
    # One precinct: its own rate (the document's summary also counts neighbouring grids it looked at).
    rate = precincts[0]["alignment_rate"] if len(precincts) == 1 else aligned.get("summary", {}).get("alignment_rate")
    cov = [g["coverage"] or 0.0 for g in grids]
    weighted = sum(g["area_km2"] * (g["coverage"] or 0.0) for g in grids)
    return {
        "precincts": len(precincts),
        "districts": districts,
        **_sums(grids),
        "alignment_rate": rate,
        "coverage": round(weighted / area, 4) if area else None,
        "mean_coverage": round(sum(cov) / len(cov), 4) if cov else None,
        "min_coverage": round(min(cov), 4) if cov else None,
        "grids_not_patrolled": sum(1 for c in cov if c == 0),
        **_hazard_figures(Counter(flag for h in hazards for flag in _WINDOW if h[flag])),
        "key_places_visited": round(visited / places, 4) if places else None,
    }


def assemble(shapes: dict[str, gpd.GeoDataFrame], aligned: Doc, covered: Doc, counts: dict[str, Doc],
             open_counts: dict[str, dict[str, int]], hazards: list[Doc], staffing: Doc,
             grids: list[Doc] | None = None) -> Any:  # fmt: skip
    """The :class:`~api.services.reports.model.Report` (meta filled in by the caller); ``grids`` the rows of
    :func:`grid_rows` when made already."""
    from api.services.reports.model import Report

    grids = grid_rows(shapes, covered, counts, open_counts) if grids is None else grids
    _aligned(grids, aligned)
    districts = _district_rows(shapes, grids, covered, hazards)
    precincts = _precinct_rows(shapes, grids, aligned, covered, hazards, staffing)
    summary = _summary(grids, aligned, hazards, len(districts), precincts)
    geoms = {name: frame[["code", "geometry"]] for name, frame in shapes.items()}
    return Report({"fixes": covered.get("fixes", 0)}, summary, grids, districts, precincts, hazards, geoms)
