"""The demo city loads with the counts of its files, and loading it again adds nothing."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import text

from api.services.demo import DEMO_DIR, load_demo

TABLES = ["precinct", "district", "grid", "key_place", "hazard", "hazard_event", "patrol_fix", "incident"]


def _file_counts() -> dict[str, int]:
    def features(name: str) -> int:
        return len(json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))["features"])

    def rows(name: str) -> int:
        return len(pd.read_csv(DEMO_DIR / name, dtype=str))

    return {
        "precinct": features("precincts.geojson"),
        "district": features("districts.geojson"),
        "grid": features("grids.geojson"),
        "key_place": rows("key_places.csv"),
        "hazard": rows("hazards.csv"),
        "hazard_event": rows("hazard_events.csv"),
        "patrol_fix": rows("patrols.csv"),
        "incident": rows("incidents.csv"),
    }


def _counts(session) -> dict[str, int]:
    current = {"precinct", "district", "grid"}
    where = {t: " WHERE valid_to IS NULL" if t in current else "" for t in TABLES}
    return {t: session.scalar(text(f"SELECT count(*) FROM {t}{where[t]}")) for t in TABLES}


def test_demo_files_describe_the_city():
    counts = _file_counts()
    assert counts["precinct"] == 11
    assert 40 <= counts["district"] <= 50
    assert 350 <= counts["grid"] <= 450
    assert 250 <= counts["key_place"] <= 350
    assert counts["hazard"] == 200


def test_demo_loads_and_loads_again_without_duplicates(session):
    load_demo(session, log=lambda _line: None)
    first = _counts(session)
    assert first == _file_counts()
    imports = session.scalar(text("SELECT count(*) FROM boundary_import"))
    assert imports == 7  # one per file

    lines: list[str] = []
    load_demo(session, log=lines.append)
    assert _counts(session) == first
    assert session.scalar(text("SELECT count(*) FROM boundary_import")) == imports
    assert all("unchanged" in line for line in lines)
    assert session.scalar(text("SELECT count(*) FROM grid")) == first["grid"]  # no closed versions either


def test_demo_rows_are_routed_and_valid(demo_session):
    s = demo_session
    assert s.scalar(text("SELECT count(*) FROM grid WHERE NOT ST_IsValid(geom)")) == 0
    assert s.scalar(text("SELECT count(*) FROM key_place WHERE grid_code IS NULL")) == 0
    assert s.scalar(text("SELECT count(*) FROM hazard WHERE precinct_code IS NULL")) == 0
    states = set(s.scalars(text("SELECT DISTINCT state FROM hazard")))
    assert states == {"reported", "assessed", "dispatched", "resolved", "closed", "rejected"}
    # every hazard's history ends in its current state
    mismatched = s.scalar(
        text(
            """SELECT count(*) FROM hazard h JOIN LATERAL (
                 SELECT to_state FROM hazard_event e WHERE e.hazard_id = h.id ORDER BY seq DESC LIMIT 1) last
               ON TRUE WHERE last.to_state <> h.state"""
        )
    )
    assert mismatched == 0
    units = s.scalar(text("SELECT count(DISTINCT unit) FROM patrol_fix"))
    assert units == 20
    days = s.scalar(text("SELECT max(ts) - min(ts) FROM patrol_fix"))
    assert 1 < days.total_seconds() / 86400 <= 2


def test_demo_command(runner, tmp_path):
    runner.app.config["JINGWANG_HOME"] = str(tmp_path)  # demo-users.txt goes there, not into the real home
    result = runner.invoke("demo")
    assert result.exit_code == 0, result.output
    assert "precincts: loaded 11" in result.stderr
    again = runner.invoke("demo")
    assert "precincts: unchanged (11 current)" in again.stderr
    assert "demo-admin" in result.stdout and again.stdout == result.stdout  # the same demo passwords
