"""Hazards (安全隐患): reported on the map or imported, routed by location to grid, district, precinct and their
people, moved through the lifecycle of :mod:`geo.lifecycle` with one event row per change, due by the SLA."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from api.auth import audit
from api.errors import BadRequest, JingwangError, NotFound
from api.scope import check_read, check_write
from api.services.locate import locate
from api.services.options import ImportOptions
from api.services.points import Imported, frame_rows, point_hex, route_hazards
from api.services.settings import sla_table
from geo import lifecycle
from geo.crs import COORD_SYSTEMS, to_wgs84
from geo.hazard_history import read_history
from geo.hazards import hazards as read_hazard_rows
from geo.tables import read_points

__all__ = ["Conflict", "create_hazard", "transition", "write_hazards", "new_code", "SELECT_HAZARD"]


class Conflict(JingwangError):
    """The request clashes with the current state (an invalid hazard transition)."""

    status = 409
    code = "conflict"


SELECT_HAZARD = """
    SELECT h.id, h.code, h.title, h.description, h.category, h.severity, h.state, h.reported_by, h.assignee,
           h.reported_at, h.due_at, h.updated_at, h.grid_code, h.district_code, h.precinct_code, h.grid_worker,
           h.officer, h.photos, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat,
           (h.state IN ('reported', 'assessed', 'dispatched') AND h.due_at < CAST(:now AS timestamptz)) AS overdue
    FROM hazard h
"""


def new_code(session: Session, when: datetime) -> str:
    """``HZ20261101-0007``: the day's next free number."""
    prefix = f"HZ{when.astimezone(timezone.utc):%Y%m%d}-"
    # Reports arriving together would pick the same number: take the day's numbers one writer at a time
    # (until the report commits).
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:p))"), {"p": "jingwang:" + prefix})
    taken = session.scalar(text("SELECT count(*) FROM hazard WHERE code LIKE :p"), {"p": prefix + "%"}) or 0
    number = int(taken) + 1
    while session.scalar(text("SELECT 1 FROM hazard WHERE code = :c"), {"c": f"{prefix}{number:04d}"}):
        number += 1
    return f"{prefix}{number:04d}"


def _event(session: Session, hazard_id: int, to: str, actor: str | None, note: str | None, at: datetime | None,
           from_state: str | None = None) -> None:  # fmt: skip
    session.execute(
        text(
            "INSERT INTO hazard_event (hazard_id, seq, from_state, to_state, actor, at, note)"
            " SELECT :h, coalesce(max(seq), 0) + 1, :f, :t, :a, coalesce(CAST(:at AS timestamptz), now()), :n"
            " FROM hazard_event WHERE hazard_id = :h"
        ),
        {"h": hazard_id, "f": from_state, "t": to, "a": actor, "at": at, "n": note},
    )


def _position(lon: Any, lat: Any, coords: str) -> tuple[float, float]:
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise BadRequest("lon and lat are required numbers (WGS-84 degrees)") from None
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise BadRequest(f"lon/lat {x}, {y} are not degrees")
    if coords not in COORD_SYSTEMS:
        raise BadRequest(f"coords must be one of {', '.join(COORD_SYSTEMS)}")
    wx, wy = to_wgs84([x], [y], coords)
    return float(wx[0]), float(wy[0])


def _severity(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        level = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"severity must be 1–4, got {value!r}") from None
    if not 1 <= level <= 4:
        raise BadRequest(f"severity must be 1–4, got {level}")
    return level


def create_hazard(session: Session, *, title: str, lon: Any, lat: Any, category: str | None = None,
                  severity: Any = None, description: str | None = None, reporter: str | None = None,
                  photos: list[str] | None = None, reported_at: datetime | None = None, coords: str = "wgs84",
                  ) -> dict[str, Any]:  # fmt: skip
    """Report a hazard at lon/lat: routed, due by the SLA, with its first event. Commits; returns the hazard."""
    from api.services.hazard_queries import get_hazard

    if not (title or "").strip():
        raise BadRequest("a hazard needs a title")
    x, y = _position(lon, lat, coords)
    check_write(_precinct_at(session, x, y))
    level = _severity(severity)
    when = reported_at or session.scalar(text("SELECT now()"))
    assert when is not None
    code = new_code(session, when)
    hazard_id = session.scalar(
        text(
            "INSERT INTO hazard (code, title, description, category, severity, state, reported_by, reported_at,"
            " due_at, updated_at, photos, geom) VALUES (:code, :title, :d, :cat, :sev, 'reported', :who, :at,"
            " :due, :at, :photos, ST_SetSRID(ST_Point(:x, :y), 4326)) RETURNING id"
        ).bindparams(bindparam("photos", type_=JSONB)),
        {"code": code, "title": title.strip(), "d": description, "cat": category or "other", "sev": level,
         "who": reporter, "at": when, "due": lifecycle.due_at(when, level, sla_table(session)),
         "photos": list(photos or []), "x": x, "y": y},
    )  # fmt: skip
    locate_one(session, int(hazard_id))
    _event(session, int(hazard_id), "reported", reporter, description, when)
    audit.record(session, "hazard.report", code, {"title": title.strip(), "lon": x, "lat": y})
    session.commit()
    return get_hazard(session, code)


def _precinct_at(session: Session, x: float, y: float) -> str | None:
    return session.scalar(
        text(
            "SELECT code FROM precinct WHERE valid_to IS NULL"
            " AND ST_Intersects(geom, ST_SetSRID(ST_Point(:x, :y), 4326)) ORDER BY code LIMIT 1"
        ),
        {"x": x, "y": y},
    )


def locate_one(session: Session, hazard_id: int) -> None:
    session.execute(
        text(
            """UPDATE hazard h SET
                 grid_code = (SELECT code FROM grid b WHERE b.valid_to IS NULL AND ST_Intersects(b.geom, h.geom)
                              ORDER BY code LIMIT 1),
                 district_code = (SELECT code FROM district b WHERE b.valid_to IS NULL
                                  AND ST_Intersects(b.geom, h.geom) ORDER BY code LIMIT 1),
                 precinct_code = (SELECT code FROM precinct b WHERE b.valid_to IS NULL
                                  AND ST_Intersects(b.geom, h.geom) ORDER BY code LIMIT 1)
               WHERE h.id = :i"""
        ),
        {"i": hazard_id},
    )
    session.execute(
        text(
            """UPDATE hazard h SET
                 grid_worker = (SELECT grid_worker FROM grid g WHERE g.valid_to IS NULL AND g.code = h.grid_code),
                 officer = (SELECT officer FROM district d WHERE d.valid_to IS NULL AND d.code = h.district_code)
               WHERE h.id = :i"""
        ),
        {"i": hazard_id},
    )


def transition(session: Session, code: str, to: str, actor: str | None = None, note: str | None = None,
               assignee: str | None = None, at: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Move hazard ``code`` to state ``to`` with an event (who, when, note). Commits.

    Raises :class:`Conflict` (409, ``details.allowed``) when the lifecycle does not allow it. Dispatching assigns
    it to ``assignee``, else to the district's community officer, else to the grid worker.
    """
    from api.services.hazard_queries import get_hazard

    row = session.execute(
        text("SELECT id, state, officer, grid_worker, precinct_code FROM hazard WHERE code = :c FOR UPDATE"),
        {"c": code},
    ).first()
    if row is None:
        raise NotFound(f"no hazard {code!r}")
    check_read(row.precinct_code, f"hazard {code!r}")
    check_write(row.precinct_code)
    if to not in lifecycle.STATES:
        raise BadRequest(f"unknown state {to!r}: one of {', '.join(lifecycle.STATES)}")
    try:
        lifecycle.check_transition(row.state, to)
    except lifecycle.TransitionError as exc:
        raise Conflict(str(exc), state=row.state, allowed=list(exc.allowed)) from None
    who = assignee or row.officer or row.grid_worker if to == "dispatched" else None
    session.execute(
        text(
            "UPDATE hazard SET state = :t, updated_at = coalesce(CAST(:at AS timestamptz), now()),"
            " assignee = coalesce(CAST(:who AS text), assignee) WHERE id = :i"
        ),
        {"t": to, "at": at, "who": who, "i": row.id},
    )
    _event(session, row.id, to, actor, note, at, from_state=row.state)
    audit.record(session, "hazard.transition", code, {"from": row.state, "to": to, "note": note})
    session.commit()
    return get_hazard(session, code)


def _prepare(frame: pd.DataFrame, session: Session, name: str) -> tuple[pd.DataFrame, list[str]]:
    now = session.scalar(text("SELECT now()"))
    frame = frame.copy()
    frame["reported_at"] = frame["reported_at"].fillna(pd.Timestamp(now))
    sla = sla_table(session)
    no_due = frame["due_at"].isna()
    frame.loc[no_due, "due_at"] = [
        pd.Timestamp(lifecycle.due_at(t.to_pydatetime(), None if pd.isna(s) else int(s), sla))
        for t, s in zip(frame.loc[no_due, "reported_at"], frame.loc[no_due, "severity"], strict=True)
    ]
    frame["severity"] = frame["severity"].where(frame["severity"].between(1, 4))
    missing = frame["code"].isna()
    for i in np.flatnonzero(missing):
        frame.iloc[i, frame.columns.get_loc("code")] = f"{Path(name).stem}-{int(frame['row'].iloc[i])}"
    dup = frame.duplicated("code")
    stored = set(session.scalars(text("SELECT code FROM hazard WHERE code = ANY(:c)"), {"c": list(frame["code"])}))
    notes = (
        [f"{name}: {len(stored)} hazard codes were stored before: those rows were left as stored."] if stored else []
    )
    if dup.any():
        notes.append(f"{name}: {int(dup.sum())} rows repeat a code of an earlier row and were skipped.")
    return frame[~dup & ~frame["code"].isin(stored)], notes


def write_hazards(session: Session, path: Path, options: ImportOptions, import_id: int, name: str) -> Imported:
    """Insert new hazards (codes already stored are kept as they are) with their first events, routed."""
    table = read_points(path, file_name=name, layer=options.layer, crs=options.crs, encoding=options.encoding,
                        coords=options.coords)  # fmt: skip
    found = read_hazard_rows(table, options.timezone, {"code": options.code_field, "title": options.name_field})
    frame, notes = _prepare(found.frame, session, name)
    frame = frame.assign(
        wkb=point_hex(frame["lon"].to_numpy(), frame["lat"].to_numpy()),
        import_id=import_id,
        attrs=[json.dumps(a, ensure_ascii=False, default=str) for a in frame["attributes"]],
    )
    cols = ["code", "title", "description", "category", "severity", "state", "reported_by", "reported_at",
            "due_at", "wkb", "import_id"]  # fmt: skip
    rows = [dict(zip(cols, r, strict=True)) for r in frame_rows(frame, cols)]
    if rows:
        session.execute(
            text(
                "INSERT INTO hazard (code, title, description, category, severity, state, reported_by, reported_at,"
                " due_at, updated_at, geom, import_id) VALUES (:code, :title, :description, :category, :severity,"
                " :state, :reported_by, :reported_at, :due_at, :reported_at, ST_GeomFromEWKB(decode(:wkb, 'hex')),"
                " :import_id)"
            ),
            rows,
        )
        if options.history is not None:
            states = dict(zip(frame["code"], frame["state"], strict=True))
            stored = set(found.frame["code"].dropna()) - set(states)
            history = read_history(options.history, states, options.timezone, stored=stored)
            _import_history(session, import_id, history)
        _import_events(session, import_id, name, options.user)  # of the hazards without a history
    locate(session, "hazard", import_id)
    route_hazards(session, import_id)
    counts = {**found.counts, "features": len(rows), "skipped_existing": found.counts["features"] - len(rows)}
    return {"counts": counts, "warnings": found.notes + notes, "fields": {**table.fields, **found.fields},
            "crs_in": table.crs_in, "encoding": table.encoding}  # fmt: skip


def _import_history(session: Session, import_id: int, history: pd.DataFrame) -> None:
    """The hazards' steps as the ledger recorded them; a hazard's last step is its last change."""
    rows = [dict(zip(history.columns, r, strict=True)) for r in frame_rows(history, list(history.columns))]
    if rows:
        session.execute(
            text(
                "INSERT INTO hazard_event (hazard_id, seq, from_state, to_state, actor, at, note)"
                " SELECT h.id, :seq, :from_state, :to_state, :actor, :at, :note FROM hazard h"
                " WHERE h.code = :hazard_code AND h.import_id = :import_id"
            ),
            [{**r, "import_id": import_id} for r in rows],
        )
    session.execute(
        text(
            "UPDATE hazard h SET updated_at = e.at FROM (SELECT hazard_id, max(at) AS at FROM hazard_event"
            " GROUP BY hazard_id) e WHERE e.hazard_id = h.id AND h.import_id = :i"
        ),
        {"i": import_id},
    )


def _import_events(session: Session, import_id: int, name: str, user: str) -> None:
    """The first events of the hazards of import ``import_id`` that have none (no history was given for them):
    reported when the file says, then the state the file gives, now."""
    session.execute(
        text(
            """
            WITH fresh AS (SELECT id, state, reported_by, reported_at FROM hazard h WHERE import_id = :i
                           AND NOT EXISTS (SELECT 1 FROM hazard_event e WHERE e.hazard_id = h.id))
            INSERT INTO hazard_event (hazard_id, seq, from_state, to_state, actor, at, note)
            SELECT id, 1, NULL, 'reported', reported_by, reported_at, :imported FROM fresh
            UNION ALL
            SELECT id, 2, 'reported', state, :u, now(), :written FROM fresh WHERE state <> 'reported'
            """
        ),
        {"i": import_id, "u": user, "imported": f"imported from {name}", "written": f"state as written in {name}"},
    )
