"""The coverage report model: plain rows per grid, district and precinct for a window, built from the alignment,
coverage and hazard services, plus the meta data every format prints (window, layer versions, hash).

The figures are a function of the stored data and the window only: hazards count as of the window's end, not
the clock, and the content hash covers the figures, not the generation time, so two runs agree.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.errors import BadRequest, NotFound
from api.services.alignment import Inputs, StateCache, alignment_plan, load_inputs, workload_doc
from api.services.collector import collector_paused
from api.services.coverage import coverage_plan
from api.services.hazard_queries import hazard_grid_counts
from api.services.point_queries import grid_stats
from api.services.store import layer_version, load_layer
from geo.coverage import DEFAULT_RADIUS_M
from geo.times import get_zone

__all__ = ["Report", "Progress", "STAGES", "build_report", "default_window", "content_hash"]

Progress = Callable[[str], None]
STAGES = ("alignment", "coverage", "hazards", "staffing", "figures")

_HAZARDS = """
    SELECT h.code, h.title, h.category, h.severity, h.state, h.precinct_code, h.district_code, h.grid_code,
           h.grid_worker, h.officer, h.reported_at, h.due_at, r.at AS done_at, c.at AS closed_at
    FROM hazard h
    LEFT JOIN LATERAL (SELECT min(at) AS at FROM hazard_event
                       WHERE hazard_id = h.id AND to_state IN ('resolved', 'closed')) r ON TRUE
    LEFT JOIN LATERAL (SELECT max(at) AS at FROM hazard_event WHERE hazard_id = h.id AND to_state = 'closed') c ON TRUE
    WHERE h.reported_at < :end AND (CAST(:p AS text) IS NULL OR h.precinct_code = :p)
    ORDER BY h.reported_at, h.code
"""
# Where orjson's text of a float may differ from Python's (or a string merely looks so: then json is used).
_SMALL_FLOAT = re.compile(rb"0\.0000|e-\d(?!\d)")


@dataclass
class Report:
    """Everything a writer needs. ``grids``/``districts``/``precincts``/``hazards`` are lists of plain dicts."""

    meta: dict[str, Any]
    summary: dict[str, Any]
    grids: list[dict[str, Any]]
    districts: list[dict[str, Any]]
    precincts: list[dict[str, Any]]
    hazards: list[dict[str, Any]]
    shapes: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)  # layer -> code + geometry (EPSG:4326)


def content_hash(report: Report) -> str:
    """sha256 of the canonical JSON of the figures (not of the generation time): keys sorted, no spaces, text
    as UTF-8, numbers as Python writes them (``json.dumps(…, ensure_ascii=False, sort_keys=True,
    separators=(",", ":"), default=str)``)."""
    figures = {k: getattr(report, k) for k in ("summary", "grids", "districts", "precincts", "hazards")}
    figures["window"] = [report.meta["from"], report.meta["to"]]
    return hashlib.sha256(canonical_json(figures)).hexdigest()


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, float) else str(value)  # numpy's floats as numbers, as json does


def canonical_json(figures: Any) -> bytes:
    """The canonical JSON bytes of ``figures``: orjson's (8× faster than json for 20,000 grids), which are
    ``json.dumps``'s but for floats below 1e-4 (orjson writes ``0.00001``, ``1.5e-7``; Python ``1e-05``,
    ``1.5e-07``): those are found in the text and json writes it then. (NaN, which the figures never hold, would
    read ``null`` here and ``NaN`` from json.)"""
    try:
        blob = orjson.dumps(figures, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME, default=_plain)
    except TypeError:  # keys that are not strings, integers beyond 64 bits
        blob = b""
    if not blob or ((b"0.0000" in blob or b"e-" in blob) and _SMALL_FLOAT.search(blob)):
        text = json.dumps(figures, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
        blob = text.encode("utf-8")
    return blob


def default_window(session: Session, tz: str | None = None) -> tuple[datetime, datetime]:
    """The 7 days up to the end of the day of the last stored patrol (of today when there is none)."""
    zone = get_zone(tz)
    last = session.scalar(text("SELECT max(ts) FROM patrol_fix"))
    day = (last or datetime.now(timezone.utc)).astimezone(zone).date() + timedelta(days=1)
    end = datetime(day.year, day.month, day.day, tzinfo=zone)
    return end - timedelta(days=7), end


def _iso(value: Any, zone: Any) -> str | None:
    return None if value is None or pd.isna(value) else value.astimezone(zone).isoformat()


def _hazard_rows(session: Session, start: datetime, end: datetime, precinct: str | None, zone: Any) -> list[dict]:
    """The hazards reported before the window's end and not closed before its start (rejected ones only when
    reported in the window), with window flags."""
    out = []
    for h in session.execute(text(_HAZARDS), {"end": end, "p": precinct}).mappings():
        if h["closed_at"] is not None and h["closed_at"] < start:
            continue
        if h["state"] == "rejected" and h["reported_at"] < start:
            continue
        due, done = h["due_at"], h["done_at"]
        late = due is not None and h["state"] != "rejected" and (done is None or done > due)
        out.append({
            **{k: h[k] for k in ("code", "title", "category", "severity", "state", "precinct_code",
                                 "district_code", "grid_code", "grid_worker", "officer")},
            "reported_at": _iso(h["reported_at"], zone),
            "due_at": _iso(due, zone),
            "closed_at": _iso(h["closed_at"], zone),
            "opened": start <= h["reported_at"] < end,
            "closed": h["closed_at"] is not None and start <= h["closed_at"] < end,
            "overdue": late and start <= due < end,
            "overdue_at_end": late and due < end and h["state"] not in ("closed", "rejected")
            and (done is None or done >= end),
        })  # fmt: skip
    return out


def _layers(session: Session, precinct: str | None) -> dict[str, gpd.GeoDataFrame]:
    where, params = ("t.precinct_code = :p", {"p": precinct}) if precinct else ("", {})
    shapes = {name: load_layer(session, name, where=where, params=params) for name in ("grids", "districts")}
    pwhere, pparams = ("t.code = :p", {"p": precinct}) if precinct else ("", {})
    shapes["precincts"] = load_layer(session, "precincts", where=pwhere, params=pparams)
    return shapes


def _frames(inputs: Inputs) -> dict[str, gpd.GeoDataFrame]:
    return {"grids": inputs.grids, "districts": inputs.districts, "precincts": inputs.precincts}


def build_report(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    precinct: str | None = None,
    radius: float = DEFAULT_RADIUS_M,
    tolerance: float = 0.01,
    timezone_name: str | None = None,
    cache: StateCache | None = None,
    progress: Progress | None = None,
) -> Report:
    """The report for ``[start, end)``, of one precinct or (None) the whole city. ``progress`` hears each stage."""
    with collector_paused():
        return _build(session, start, end, precinct, radius, tolerance, timezone_name, cache, progress)


def _build(session: Session, start: datetime, end: datetime, precinct: str | None, radius: float, tolerance: float,
           timezone_name: str | None, cache: StateCache | None, progress: Progress | None) -> Report:  # fmt: skip
    from api.services.reports.figures import assemble, grid_rows

    step = progress or (lambda _stage: None)
    zone = get_zone(timezone_name)
    if precinct is not None and not session.scalar(
        text("SELECT 1 FROM precinct WHERE code = :p AND valid_to IS NULL"), {"p": precinct}
    ):
        raise NotFound(f"no precinct with code {precinct!r}")
    if end <= start:
        raise BadRequest(f"the window is empty: from {start.isoformat()} is not before to {end.isoformat()}")
    cache = cache or StateCache()
    with ThreadPoolExecutor(2) as side:
        # The city's three layers are read once, for the alignment, the coverage and the rows.
        inputs = load_inputs(session) if precinct is None else None
        step("alignment")
        aligned_soon = alignment_plan(
            session, tolerance=tolerance, precinct=precinct, cache=cache, findings=False, inputs=inputs
        )
        step("coverage")
        grids = inputs.grids if inputs is not None else None
        covered_soon = coverage_plan(session, start, end, radius=radius, precinct=precinct,
                                     timezone=timezone_name, grids=grids)  # fmt: skip
        # The fixes are read (the grids' raster was computed beside them): the alignment is computed on plain
        # data from here on, beside the last reads. Not sooner: a thread computing beside the COPY of the fixes
        # (a Python step per row) slowed it threefold.
        aligned_job = side.submit(aligned_soon)
        step("hazards")
        counts = {g["code"]: g for g in grid_stats(session, precinct, start, end)}
        open_counts = hazard_grid_counts(session, precinct, now=end)
        hazards = _hazard_rows(session, start, end, precinct, zone)
        shapes = _layers(session, precinct) if inputs is None else _frames(inputs)
        versions = {name: layer_version(session, name) for name in ("precincts", "districts", "grids")}
        # Every read is done: the coverage is computed here, beside the alignment (GEOS, PROJ and the compiled
        # kernels release the GIL).
        covered = covered_soon()
        # The grid rows need no alignment: made while it may still be computing (cold, it takes longer).
        rows = grid_rows(shapes, covered, counts, open_counts)
        aligned = aligned_job.result()
        step("staffing")  # the state is cached now
        staffing = workload_doc(session, precinct=precinct, tolerance=tolerance, cache=cache, start=start, end=end)
    step("figures")
    report = assemble(shapes, aligned, covered, counts, open_counts, hazards, staffing, rows)
    report.meta.update(
        precinct=precinct,
        precinct_name=report.precincts[0]["name"] if precinct and report.precincts else None,
        **{"from": start.astimezone(zone).isoformat(), "to": end.astimezone(zone).isoformat()},
        timezone=str(zone),
        radius_m=radius,
        tolerance=tolerance,
        versions=versions,
        generated_at=datetime.now(zone).replace(microsecond=0).isoformat(),
    )
    report.meta["hash"] = content_hash(report)
    return report
