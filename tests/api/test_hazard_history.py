"""Hazards imported with their ledger's history (``jingwang import hazards FILE --history EVENTS``): every
step kept in order with who and when; a history that breaks the lifecycle is refused by row and stores nothing."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from api.services.hazard_queries import get_hazard
from geo.errors import GeoError
from geo.hazard_history import check_history
from tests.api.ops import load, small_city

HAZARDS = (
    "code,title,category,severity,state,reported_at,lon,lat\n"
    "H1,消防通道堵塞,fire,3,closed,2026-11-01T09:00:00+08:00,114.765,37.745\n"
    "H2,电线私拉乱接,fire,2,rejected,2026-11-01T10:00:00+08:00,114.775,37.745\n"
    "H3,井盖缺失,public_order,1,dispatched,2026-11-02T08:00:00+08:00,114.775,37.755\n"
)
# Chinese headers, H1's steps out of order (seq puts them right), H3 not listed: it gets the usual two events.
HISTORY = (
    "隐患编号,序号,原状态,新状态,经办人,时间,备注\n"
    "H1,3,assessed,已推送,王警官,2026-11-01T12:00:00+08:00,\n"
    "H1,1,,reported,网格员1,2026-11-01T09:00:00+08:00,巡查发现\n"
    "H1,2,reported,assessed,王警官,2026-11-01T11:00:00+08:00,\n"
    "H1,4,dispatched,resolved,网格员1,2026-11-02T09:00:00+08:00,已整改\n"
    "H1,5,resolved,closed,王警官,2026-11-02T15:30:00+08:00,复查销号\n"
    "H2,1,,reported,群众,2026-11-01T10:00:00+08:00,\n"
    "H2,2,reported,rejected,李警官,2026-11-01T16:00:00+08:00,不属实\n"
)


@pytest.fixture
def city(session):
    small_city(session)
    return session


def _files(tmp_path, history: str) -> tuple:
    hazards, events = tmp_path / "hazards.csv", tmp_path / "events.csv"
    hazards.write_text(HAZARDS, encoding="utf-8")
    events.write_text(history, encoding="utf-8")
    return hazards, events


def test_history_is_kept_step_by_step(city, tmp_path):
    hazards, events = _files(tmp_path, HISTORY)
    doc = load(city, "hazards", hazards, history=events)
    assert doc["counts"]["features"] == 3
    h1 = get_hazard(city, "H1")
    assert [(e["seq"], e["from"], e["to"], e["actor"]) for e in h1["events"]] == [
        (1, None, "reported", "网格员1"),
        (2, "reported", "assessed", "王警官"),
        (3, "assessed", "dispatched", "王警官"),
        (4, "dispatched", "resolved", "网格员1"),
        (5, "resolved", "closed", "王警官"),
    ]
    assert h1["events"][-1]["note"] == "复查销号" and h1["events"][-1]["at"] == "2026-11-02T07:30:00+00:00"
    assert [e["to"] for e in get_hazard(city, "H2")["events"]] == ["reported", "rejected"]
    assert [e["to"] for e in get_hazard(city, "H3")["events"]] == ["reported", "dispatched"]
    # a hazard's last change is its last step
    updated = city.scalar(text("SELECT updated_at FROM hazard WHERE code = 'H1'"))
    assert updated.isoformat() == "2026-11-02T07:30:00+00:00"


def test_the_same_files_again_change_nothing(city, tmp_path):
    hazards, events = _files(tmp_path, HISTORY)
    load(city, "hazards", hazards, history=events)
    before = city.scalar(text("SELECT count(*) FROM hazard_event"))
    # one more hazard in the file: the stored ones and their steps are left as they are
    hazards.write_text(HAZARDS + "H4,路灯损坏,public_order,1,reported,2026-11-03T08:00:00+08:00,114.765,37.755\n")
    events.write_text(HISTORY + "H4,1,,reported,网格员2,2026-11-03T08:00:00+08:00,\n", encoding="utf-8")
    again = load(city, "hazards", hazards, history=events)
    assert again["counts"]["features"] == 1 and again["counts"]["skipped_existing"] == 3
    assert city.scalar(text("SELECT count(*) FROM hazard_event")) == before + 1
    assert [e["actor"] for e in get_hazard(city, "H4")["events"]] == ["网格员2"]


@pytest.mark.parametrize(
    ("history", "message"),
    [
        (
            HISTORY.replace("H1,4,dispatched,resolved", "H1,4,dispatched,closed"),
            "a dispatched hazard cannot become closed",
        ),
        (HISTORY.replace("H2,2,reported,rejected", "H2,2,reported,assessed"), "H2's last step leaves it assessed"),
        (HISTORY.replace("H2,1,,reported", "H2,1,,assessed"), "first step must be reported"),
        (HISTORY + "H9,1,,reported,某人,2026-11-01T10:00:00+08:00,\n", "rows 8: the hazard is not in the hazard file"),
        (HISTORY.replace("2026-11-01T16:00:00+08:00", "昨天下午"), "rows 7: at is not a time"),
        ("隐患编号,时间\nH1,2026-11-01T09:00:00+08:00\n", "no to_state column"),
    ],
)
def test_a_broken_history_is_refused_and_stores_nothing(city, tmp_path, history, message):
    hazards, events = _files(tmp_path, history)
    before = city.scalar(text("SELECT count(*) FROM boundary_import"))
    with pytest.raises(GeoError, match=message) as raised:
        load(city, "hazards", hazards, history=events)
    assert "events.csv" in str(raised.value)
    assert city.scalar(text("SELECT count(*) FROM hazard")) == 0
    assert city.scalar(text("SELECT count(*) FROM hazard_event")) == 0
    assert city.scalar(text("SELECT count(*) FROM boundary_import")) == before


def test_steps_without_seq_follow_their_times():
    rows = pd.DataFrame(
        {
            "hazard_code": ["H1", "H1", "H1"],
            "to_state": ["rejected", "reported", "研判"],
            "at": ["2026-11-01 18:00", "2026-11-01 09:00", "2026-11-01 12:00"],
        }
    )
    events = check_history(rows, "h.csv", {"H1": "rejected"}, "Asia/Shanghai")
    assert events["to_state"].tolist() == ["reported", "assessed", "rejected"]
    assert events["seq"].tolist() == [1, 2, 3]
    assert str(events["at"].iloc[0]) == "2026-11-01 01:00:00+00:00"


def test_the_command_takes_a_history_for_hazards_only(city, runner, tmp_path):
    hazards, events = _files(tmp_path, HISTORY)
    done = runner.invoke("import", "hazards", str(hazards), "--history", str(events))
    assert done.exit_code == 0, done.output
    assert city.scalar(text("SELECT count(*) FROM hazard_event")) == 7 + 2
    refused = runner.invoke("import", "key-places", str(hazards), "--history", str(events))
    assert refused.exit_code != 0 and "a history goes with hazards only" in refused.output


def test_the_upload_takes_a_history(city, client, tmp_path):
    hazards, events = _files(tmp_path, HISTORY)
    with hazards.open("rb") as h, events.open("rb") as e:
        response = client.post(
            "/api/imports",
            data={"layer": "hazards", "file": (h, "隐患台账.csv"), "history": (e, "处理记录.csv")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert [e["to"] for e in get_hazard(city, "H1")["events"]][-2:] == ["resolved", "closed"]
    with hazards.open("rb") as h, events.open("rb") as e:
        broken = client.post(
            "/api/imports",
            data={"layer": "key-places", "file": (h, "places.csv"), "history": (e, "处理记录.csv")},
            content_type="multipart/form-data",
        )
    assert broken.status_code == 400 and "hazards only" in broken.get_json()["error"]["message"]


def test_rows_are_named_as_in_the_file_when_stored_hazards_are_left_out():
    rows = pd.DataFrame(
        {
            "hazard_code": ["OLD", "OLD", "NEW"],
            "to_state": ["reported", "assessed", "reported"],
            "at": ["2026-11-01 09:00", "2026-11-01 10:00", "昨天"],
        }
    )
    with pytest.raises(GeoError, match=r"h.csv: rows 3: at is not a time"):
        check_history(rows, "h.csv", {"NEW": "reported"}, "Asia/Shanghai", stored={"OLD"})
