"""Reading hazards: one with its events, lists as GeoJSON (by state, precinct, grid, overdue), per-grid counts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.errors import BadRequest, NotFound
from api.scope import check_read, read_precinct
from api.services.hazards import SELECT_HAZARD
from geo import lifecycle

__all__ = ["get_hazard", "list_hazards", "hazard_feature_collection", "hazard_grid_counts", "photo_precinct"]

_FIELDS = ("code", "title", "description", "category", "severity", "state", "reported_by", "assignee",
           "grid_code", "district_code", "precinct_code", "grid_worker", "officer", "photos", "overdue")  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _doc(row: Any) -> dict[str, Any]:
    doc = {name: getattr(row, name) for name in _FIELDS}
    doc.update(
        state_zh=lifecycle.LABELS_ZH.get(row.state),
        allowed=list(lifecycle.TRANSITIONS.get(row.state, ())),
        reported_at=_iso(row.reported_at),
        due_at=_iso(row.due_at),
        updated_at=_iso(row.updated_at),
        lon=round(row.lon, 7),
        lat=round(row.lat, 7),
        overdue=bool(row.overdue),
    )
    return doc


def get_hazard(session: Session, code: str, now: datetime | None = None) -> dict[str, Any]:
    """The hazard ``code`` with its events (oldest first)."""
    row = session.execute(text(SELECT_HAZARD + " WHERE h.code = :c"), {"c": code, "now": now or _now(session)}).first()
    if row is None:
        raise NotFound(f"no hazard {code!r}")
    check_read(row.precinct_code, f"hazard {code!r}")
    events = session.execute(
        text("SELECT seq, from_state, to_state, actor, at, note FROM hazard_event WHERE hazard_id = :h ORDER BY seq"),
        {"h": row.id},
    ).all()
    doc = _doc(row)
    doc["events"] = [
        {"seq": e.seq, "from": e.from_state, "to": e.to_state, "actor": e.actor, "at": _iso(e.at), "note": e.note}
        for e in events
    ]
    return doc


def _now(session: Session) -> datetime:
    value = session.scalar(text("SELECT now()"))
    assert value is not None
    return value


def list_hazards(
    session: Session,
    state: str | None = None,
    precinct: str | None = None,
    grid: str | None = None,
    overdue: bool | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Hazards, newest first, filtered; ``state`` may be ``open`` (not closed or rejected)."""
    where: list[str] = ["TRUE"]
    params: dict[str, Any] = {"now": now or _now(session), "limit": limit}
    precinct = read_precinct(precinct)
    if state == "open":
        where.append("h.state IN ('reported', 'assessed', 'dispatched', 'resolved')")
    elif state:
        if state not in lifecycle.STATES:
            raise BadRequest(f"unknown state {state!r}: one of open, {', '.join(lifecycle.STATES)}")
        where.append("h.state = :state")
        params["state"] = state
    for column, value in (("precinct_code", precinct), ("grid_code", grid)):
        if value:
            where.append(f"h.{column} = :{column}")
            params[column] = value
    if overdue is not None:
        test = "h.state IN ('reported', 'assessed', 'dispatched') AND h.due_at < CAST(:now AS timestamptz)"
        where.append(test if overdue else f"NOT ({test})")
    if bbox:
        where.append("h.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    sql = SELECT_HAZARD + f" WHERE {' AND '.join(where)} ORDER BY h.reported_at DESC, h.code LIMIT :limit"
    return [_doc(row) for row in session.execute(text(sql), params)]


def hazard_feature_collection(session: Session, **filters: Any) -> dict[str, Any]:
    """:func:`list_hazards` as a GeoJSON FeatureCollection."""
    items = list_hazards(session, **filters)
    features = [
        {"type": "Feature", "id": h["code"], "geometry": {"type": "Point", "coordinates": [h["lon"], h["lat"]]},
         "properties": {k: v for k, v in h.items() if k not in ("lon", "lat")}}
        for h in items
    ]  # fmt: skip
    return {"type": "FeatureCollection", "numberReturned": len(features), "features": features}


def hazard_grid_counts(
    session: Session, precinct: str | None = None, now: datetime | None = None
) -> dict[str, dict[str, int]]:
    """Per grid code: hazards ``open`` (not closed or rejected) and ``overdue``."""
    precinct = read_precinct(precinct)
    rows = session.execute(
        text(
            """
            SELECT grid_code,
                   count(*) FILTER (WHERE state IN ('reported', 'assessed', 'dispatched', 'resolved')) AS open,
                   count(*) FILTER (WHERE state IN ('reported', 'assessed', 'dispatched')
                                    AND due_at < CAST(:now AS timestamptz)) AS overdue
            FROM hazard WHERE grid_code IS NOT NULL AND (CAST(:p AS text) IS NULL OR precinct_code = :p)
            GROUP BY grid_code
            """
        ),
        {"p": precinct, "now": now or _now(session)},
    ).all()
    return {r.grid_code: {"open": int(r.open), "overdue": int(r.overdue)} for r in rows}


def photo_precinct(session: Session, name: str) -> tuple[bool, str | None]:
    """Whether a hazard lists photo ``name``, and that hazard's precinct."""
    row = session.execute(
        text("SELECT precinct_code FROM hazard WHERE photos @> CAST(:p AS jsonb) LIMIT 1"), {"p": json.dumps([name])}
    ).first()
    return (row is not None, row.precinct_code if row is not None else None)
