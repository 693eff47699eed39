"""The alignment of districts with grids (and precincts), snap proposals, manual moves and workload.

The heavy state (:class:`geo.align.Alignment`) is kept in a small cache keyed by the versions of the three
layers, so a manual move re-evaluates only what it touches instead of the whole city.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import geopandas as gpd
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import audit
from api.errors import BadRequest, Forbidden, NotFound
from api.layers import LAYERS
from api.scope import check_write, read_precinct, scope_precinct
from api.services.boundaries import ImportMeta, write_version
from api.services.collector import collector_paused
from api.services.points import relocate_all
from api.services.store import layer_version, load_layer
from geo.align import Alignment, compute
from geo.errors import GeoError
from geo.moves import delta, move
from geo.proposal import propose
from geo.workload import workload

__all__ = ["Inputs", "StateCache", "alignment", "alignment_plan", "load_inputs", "apply_proposal", "findings",
           "moves", "proposal", "workload_doc"]  # fmt: skip


@dataclass
class Inputs:
    """The three layers as they stood at ``as_of`` (current when None)."""

    grids: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    precincts: gpd.GeoDataFrame
    key: tuple[Any, ...]


class StateCache:
    """A few recent :class:`Alignment` states, keyed by layer versions and parameters; thread-safe."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.items: OrderedDict[tuple[Any, ...], tuple[Inputs, Alignment]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[Inputs, Alignment] | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: tuple[Inputs, Alignment]) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _versions(session: Session) -> tuple[int, ...]:
    return tuple(layer_version(session, name) for name in ("grids", "districts", "precincts"))


def load_inputs(session: Session, as_of: datetime | None = None, versions: tuple[int, ...] | None = None) -> Inputs:
    """The three layers at ``as_of``, keyed by the layer versions read before them (``versions`` when just read)."""
    versions = versions or _versions(session)
    frames = [load_layer(session, name, as_of) for name in ("grids", "districts", "precincts")]
    return Inputs(frames[0], frames[1], frames[2], (versions, as_of))


def _plan(session: Session, cache: StateCache | None, tolerance: float, precinct: str | None,
          as_of: datetime | None, findings: bool = True,
          inputs: Inputs | None = None) -> Callable[[], tuple[Inputs, Alignment]]:  # fmt: skip
    """Every read on ``session`` now (scope, versions, cache, layers); the returned call computes the state
    without the session, so it may run in another thread. ``inputs`` are used when their versions are current."""
    precinct = read_precinct(precinct)  # a precinct user sees the alignment of their precinct only
    versions = _versions(session)
    key = (versions, as_of, tolerance, precinct)
    # A state with findings also serves a request without them.
    for with_findings in (True,) if findings else (True, False):
        found = cache.get((*key, with_findings)) if cache else None
        if found is not None:
            return lambda: found
    if inputs is None or inputs.key != (versions, as_of):
        inputs = load_inputs(session, as_of, versions)
    if len(inputs.grids) == 0 or len(inputs.districts) == 0:
        raise NotFound("nothing to align: import grids and districts first (jingwang import grids FILE …)")
    if precinct is not None and precinct not in set(inputs.precincts["code"]):
        raise NotFound(f"no precinct with code {precinct!r}")
    loaded = inputs

    def run() -> tuple[Inputs, Alignment]:
        precincts = loaded.precincts if len(loaded.precincts) else None
        try:
            with collector_paused():
                state = compute(
                    loaded.grids, loaded.districts, precincts, tolerance=tolerance, precinct=precinct,
                    findings=findings, valid=True,  # the store holds only valid geometry (repaired on import)
                )  # fmt: skip
        except GeoError as exc:
            raise BadRequest(str(exc)) from exc
        if cache:
            cache.put((*key, findings), (loaded, state))
        return loaded, state

    return run


def _state(session: Session, cache: StateCache | None, tolerance: float, precinct: str | None,
           as_of: datetime | None, findings: bool = True) -> tuple[Inputs, Alignment]:  # fmt: skip
    """The alignment state; ``findings=False`` (shares and statuses only) is served by a full state when cached."""
    return _plan(session, cache, tolerance, precinct, as_of, findings)()


def alignment_plan(
    session: Session,
    *,
    tolerance: float = 0.01,
    precinct: str | None = None,
    as_of: datetime | None = None,
    cache: StateCache | None = None,
    findings: bool = True,
    inputs: Inputs | None = None,
) -> Callable[[], dict[str, Any]]:
    """:func:`alignment` in two steps: the reads now, the document from the returned call."""
    run = _plan(session, cache, tolerance, precinct, as_of, findings, inputs)

    def document() -> dict[str, Any]:
        state = run()[1]
        with collector_paused():
            doc = state.document()
        doc["as_of"] = as_of.isoformat() if as_of else None
        return doc

    return document


def alignment(
    session: Session,
    *,
    tolerance: float = 0.01,
    precinct: str | None = None,
    as_of: datetime | None = None,
    cache: StateCache | None = None,
    findings: bool = True,
) -> dict[str, Any]:
    """The alignment document of DESIGN.md (plus ``precincts`` and ``as_of``); ``findings=False`` leaves out
    gaps and overlaps (empty lists, zero areas) for callers that need only shares and statuses."""
    return alignment_plan(
        session, tolerance=tolerance, precinct=precinct, as_of=as_of, cache=cache, findings=findings
    )()


def findings(session: Session, kind: str, **params: Any) -> dict[str, Any]:
    """``gaps``, ``overlaps`` or ``split-grids`` as a GeoJSON FeatureCollection."""
    inputs, state = _state(
        session, params.get("cache"), params.get("tolerance", 0.01), params.get("precinct"), params.get("as_of")
    )
    doc = state.document()
    if kind in ("gaps", "overlaps"):
        features = [
            {
                "type": "Feature",
                "geometry": item["geometry"],
                "properties": {k: v for k, v in item.items() if k != "geometry"},
            }
            for item in doc[kind]
        ]
    elif kind == "split-grids":
        split = {g["code"]: g for g in doc["grids"] if g["status"] == "split"}
        rows = inputs.grids[inputs.grids["code"].isin(split)]
        features = [
            {
                "type": "Feature",
                "geometry": json.loads(gpd.GeoSeries([geom], crs=4326).to_json())["features"][0]["geometry"],
                "properties": split[code],
            }
            for code, geom in zip(rows["code"], rows.geometry, strict=True)
        ]
    else:
        raise NotFound(f"unknown finding {kind!r}: gaps, overlaps or split-grids")
    return {"type": "FeatureCollection", "features": features}


def moves(
    session: Session,
    steps: list[dict[str, str]],
    *,
    tolerance: float = 0.01,
    precinct: str | None = None,
    cache: StateCache | None = None,
) -> tuple[Inputs, Alignment, dict[str, Any]]:
    """Apply manual moves (``[{"grid": code, "district": code}, …]``) to the current state, in order.

    Nothing is written; returns the new state and the entries of every grid, district and precinct the moves
    changed, as they stand after the last one (see :func:`geo.moves.delta`), with the new summary.
    """
    inputs, state = _state(session, cache, tolerance, precinct, None)
    summary = state.document()["summary"] if not steps else None
    merged: dict[str, dict[str, Any]] = {"grids": {}, "districts": {}, "precincts": {}}
    for step in steps:
        try:
            state = move(state, str(step["grid"]), str(step["district"]))
        except (GeoError, KeyError) as exc:
            raise BadRequest(f"cannot move {step}: {exc}") from exc
        changed = delta(state)
        summary = changed["summary"]
        for kind, entries in merged.items():  # a later move recomputes what it touches: its entries win
            entries.update({e["code"]: e for e in changed[kind]})
    result = {kind: [entries[c] for c in sorted(entries)] for kind, entries in merged.items()}
    return inputs, state, {"summary": summary, **result}


def proposal(
    session: Session,
    *,
    tolerance: float = 0.01,
    precinct: str | None = None,
    steps: list[dict[str, str]] | None = None,
    cache: StateCache | None = None,
) -> dict[str, Any]:
    """The snap proposal (after optional manual moves): per district gained/lost/area moved + geometries."""
    inputs, state, _ = moves(session, steps or [], tolerance=tolerance, precinct=precinct, cache=cache)
    return propose(inputs.grids, inputs.districts, state)


def apply_proposal(
    session: Session, result: dict[str, Any], user: str = "system", moves: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """Write a proposal's districts (after the manual ``moves``, recorded in the audit log) as a new version of the
    district layer (revertible); commit."""
    frame: gpd.GeoDataFrame = result["geometries"]
    _check_proposal_scope(frame)
    changed = [d for d in result["districts"] if d["gained"] or d["lost"]]
    meta = ImportMeta(
        file_name="snap proposal",
        mode="append",  # the proposal covers the districts it shows; the others stay as they are
        created_by=user,
        counts={"districts_changed": len(changed), "area_moved_m2": sum(d["area_moved_m2"] for d in changed)},
    )
    import_id = write_version(session, LAYERS["districts"], frame, meta)
    session.execute(text("UPDATE boundary_import SET mode = 'proposal' WHERE id = :i"), {"i": import_id})
    relocate_all(session)
    audit.record(session, "proposal.apply", f"import {import_id}",
                 {"districts_changed": [d["code"] for d in changed], "moves": moves or [],
                  "precinct": scope_precinct()})  # fmt: skip
    session.commit()
    return {"layer": "districts", "import_id": import_id, "districts": len(frame), "changed": len(changed)}


def _check_proposal_scope(frame: gpd.GeoDataFrame) -> None:
    """A proposal may only rewrite districts the user may change."""
    own = scope_precinct()
    check_write(own)
    if own is not None:
        others = sorted({str(c) for c, p in zip(frame["code"], frame["precinct_code"], strict=True) if p != own})
        if others:
            raise Forbidden(f"the proposal changes districts outside precinct {own}: {', '.join(others)}")


def workload_doc(
    session: Session,
    *,
    precinct: str | None = None,
    tolerance: float = 0.01,
    cache: StateCache | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """Per district and precinct: grids, area, households, population, key places, open hazards, incidents in
    the window [start, end) (all when not given), officers, compactness, contiguity and the 两个40% check."""
    precinct = read_precinct(precinct)
    inputs, state = _state(session, cache, tolerance, precinct, None, findings=False)
    window = "(CAST(:start AS timestamptz) IS NULL OR occurred_at >= :start)"
    window += " AND (CAST(:end AS timestamptz) IS NULL OR occurred_at < :end)"
    counts = {}
    for name, table, cond in (
        ("key_places", "key_place", "TRUE"),
        ("hazards", "hazard", "state NOT IN ('closed', 'rejected')"),
        ("incidents", "incident", window),
    ):
        rows = session.execute(
            text(f"SELECT grid_code, count(*) FROM {table} WHERE grid_code IS NOT NULL AND {cond} GROUP BY 1"),
            {"start": start, "end": end},
        ).all()
        counts[name] = {code: float(n) for code, n in rows}
    return workload(
        inputs.grids,
        inputs.districts,
        inputs.precincts,
        result=state,
        key_places=counts["key_places"],
        hazards=counts["hazards"],
        incidents=counts["incidents"],
    )
