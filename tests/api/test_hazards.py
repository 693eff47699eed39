"""Hazards over HTTP and the CLI: reporting, routing to people, every allowed and refused transition, events,
overdue lists, the SLA, imports, photos and the Excel ledger."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from api.services.hazard_queries import get_hazard, list_hazards
from geo.lifecycle import STATES, TRANSITIONS
from tests.api.ops import OpsRunner, load, small_city, with_ops

# the shortest path from reported to each state
PATH = {
    "reported": [],
    "assessed": ["assessed"],
    "rejected": ["rejected"],
    "dispatched": ["assessed", "dispatched"],
    "resolved": ["assessed", "dispatched", "resolved"],
    "closed": ["assessed", "dispatched", "resolved", "closed"],
}


@pytest.fixture
def client(app, session):
    small_city(session)
    return with_ops(app).test_client()


def _report(client, **extra):
    body = {"title": "井盖缺失", "category": "public_order", "severity": 3, "description": "人行道井盖丢失",
            "reporter": "网格员1", "lon": 114.765, "lat": 37.745, **extra}  # fmt: skip
    response = client.post("/api/hazards", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _move(client, code, to, **extra):
    return client.post(f"/api/hazards/{code}/transitions", json={"to": to, "actor": "张三", **extra})


def test_a_reported_hazard_is_routed_and_due_by_the_sla(client):
    doc = _report(client)
    assert doc["code"].startswith("HZ") and doc["state"] == "reported" and doc["state_zh"] == "已上报"
    assert (doc["grid_code"], doc["district_code"], doc["precinct_code"]) == ("G01", "D1", "P1")
    assert (doc["grid_worker"], doc["officer"]) == ("网格员1", "王警官")
    reported = datetime.fromisoformat(doc["reported_at"])
    assert datetime.fromisoformat(doc["due_at"]) - reported == timedelta(hours=24)  # severity 3
    assert doc["allowed"] == ["assessed", "rejected"] and doc["overdue"] is False
    assert doc["events"] == [
        {
            "seq": 1,
            "from": None,
            "to": "reported",
            "actor": "网格员1",
            "at": doc["reported_at"],
            "note": "人行道井盖丢失",
        }
    ]
    assert client.get(f"/api/hazards/{doc['code']}").get_json() == doc
    assert client.post("/api/hazards", json={"title": "x"}).status_code == 400
    assert client.post("/api/hazards", json={"title": "x", "lon": 1, "lat": 2, "severity": 9}).status_code == 400
    assert client.get("/api/hazards/NOPE").status_code == 404


@pytest.mark.parametrize("state", STATES)
def test_every_allowed_and_refused_transition(client, session, state):
    for to in STATES:
        code = _report(client)["code"]
        for step in PATH[state]:
            assert _move(client, code, step).status_code == 200
        response = _move(client, code, to, note=f"{state}→{to}")
        if to in TRANSITIONS[state]:
            assert response.status_code == 200, response.get_json()
            doc = response.get_json()
            assert doc["state"] == to and len(doc["events"]) == len(PATH[state]) + 2
            last = doc["events"][-1]
            assert (last["from"], last["to"], last["actor"], last["note"]) == (state, to, "张三", f"{state}→{to}")
        else:
            assert response.status_code == 409
            error = response.get_json()["error"]
            assert error["code"] == "conflict"
            assert error["details"] == {"state": state, "allowed": list(TRANSITIONS[state])}
            assert get_hazard(session, code)["state"] == state
            assert len(get_hazard(session, code)["events"]) == len(PATH[state]) + 1  # no event for a refusal


def test_dispatch_assigns_and_rework_goes_back(client):
    code = _report(client, lon=114.775, lat=37.755)["code"]  # G04, district D2
    _move(client, code, "assessed")
    doc = _move(client, code, "dispatched").get_json()
    assert doc["assignee"] == "李警官"
    _move(client, code, "resolved", note="已更换井盖")
    doc = _move(client, code, "dispatched", note="返工: 井盖不稳", assignee="网格员4").get_json()
    assert doc["assignee"] == "网格员4" and doc["allowed"] == ["resolved"]
    assert [e["to"] for e in doc["events"]] == ["reported", "assessed", "dispatched", "resolved", "dispatched"]
    assert _move(client, code, "").status_code == 400
    assert _move(client, code, "lost").status_code == 400


def test_overdue_lists_and_filters(client, session):
    late = _report(client, severity=3)["code"]
    fine = _report(client, severity=1, lon=114.775)["code"]
    done = _report(client, severity=3)["code"]
    for step in PATH["resolved"]:
        _move(client, done, step)
    later = datetime.fromisoformat(get_hazard(session, late)["due_at"]) + timedelta(hours=1)
    overdue = list_hazards(session, overdue=True, now=later)
    assert [h["code"] for h in overdue] == [late]
    assert {h["code"] for h in list_hazards(session, state="open", now=later)} == {late, fine, done}
    assert [h["code"] for h in list_hazards(session, state="resolved")] == [done]
    assert client.get("/api/hazards?overdue=1").get_json()["features"] == []  # nothing is overdue yet
    listed = client.get("/api/hazards?precinct=P1&state=reported").get_json()
    assert {f["id"] for f in listed["features"]} == {late, fine}
    assert listed["features"][0]["geometry"]["type"] == "Point"
    assert client.get("/api/hazards?state=nope").status_code == 400
    stats = {g["code"]: g for g in client.get("/api/grid-stats").get_json()["grids"]}
    assert stats["G01"]["hazards_open"] == 2 and stats["G02"]["hazards_open"] == 1
    session.execute(text("UPDATE hazard SET due_at = now() - interval '1 hour' WHERE code = :c"), {"c": late})
    assert [f["id"] for f in client.get("/api/hazards?overdue=1").get_json()["features"]] == [late]
    assert client.get("/api/grid-stats").get_json()["grids"][0]["hazards_overdue"] == 1


def test_the_sla_is_configurable(client, app, session):
    runner = OpsRunner(app)
    result = runner.invoke("hazards", "sla", "3", "6")
    assert result.exit_code == 0 and "severity 3: 6 h" in result.stdout
    doc = _report(client)
    assert datetime.fromisoformat(doc["due_at"]) - datetime.fromisoformat(doc["reported_at"]) == timedelta(hours=6)
    assert client.get("/api/hazards/sla").get_json()["hours"]["3"] == 6.0


def test_import_hazards_from_a_chinese_csv(client, session, tmp_path):
    path = tmp_path / "隐患.csv"
    path.write_text(
        "隐患编号,隐患名称,隐患类别,等级,发现人,发现时间,状态,经度,纬度\n"
        "Y1,消防通道堵塞,fire,较大,网格员1,2026-11-01 09:00,已上报,114.765,37.745\n"
        "Y2,电线私拉乱接,fire,3,网格员2,2026-11-01 10:00,处置中,114.775,37.745\n"
        "Y3,无标题坐标,fire,1,,2026-11-01 10:00,,,\n"
        ",,fire,1,,,,114.77,37.75\n",
        encoding="utf-8",
    )
    doc = load(session, "hazards", path)
    assert doc["counts"]["rows"] == 4 and doc["counts"]["features"] == 2
    assert doc["counts"]["without_coordinates"] == 1 and doc["counts"]["without_title"] == 1
    y2 = get_hazard(session, "Y2")
    assert y2["state"] == "dispatched" and y2["officer"] == "李警官" and y2["grid_worker"] == "网格员2"
    assert y2["reported_at"] == "2026-11-01T02:00:00+00:00"
    assert datetime.fromisoformat(y2["due_at"]) - datetime.fromisoformat(y2["reported_at"]) == timedelta(hours=24)
    assert [e["to"] for e in y2["events"]] == ["reported", "dispatched"]
    assert get_hazard(session, "Y1")["severity"] == 2
    again = load(session, "hazards", path)
    assert again["counts"]["features"] == 0 and again["counts"]["skipped_existing"] == 2
    assert session.scalar(text("SELECT count(*) FROM hazard")) == 2


def test_photos_are_uploaded_and_served(client, app, tmp_path):
    app.config["JINGWANG_HOME"] = str(tmp_path)
    data = {"title": "墙体开裂", "lon": "114.765", "lat": "37.745", "severity": "2",
            "photos": [(io.BytesIO(b"\x89PNG fake"), "裂缝.png")]}  # fmt: skip
    response = client.post("/api/hazards", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    photos = response.get_json()["photos"]
    assert len(photos) == 1 and photos[0].endswith(".png")
    served = client.get(f"/api/hazards/photos/{photos[0]}")
    assert served.data == b"\x89PNG fake"
    served.close()
    assert client.get("/api/hazards/photos/..%2Fx").status_code == 404
    bad = {"title": "x", "lon": "114.765", "lat": "37.745", "photos": [(io.BytesIO(b"MZ"), "a.exe")]}
    assert client.post("/api/hazards", data=bad, content_type="multipart/form-data").status_code == 400


def test_ledger_has_problem_task_and_effect_lists(client, app, session, tmp_path):
    open_one = _report(client)["code"]
    closed = _report(client, title="路灯损坏")["code"]
    for step in PATH["closed"]:
        _move(client, closed, step, note="已修复" if step == "resolved" else None)
    rejected = _report(client, title="误报")["code"]
    _move(client, rejected, "rejected")
    response = client.get("/api/hazards/ledger.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["问题清单", "任务清单", "效果清单"]
    problems = list(book["问题清单"].iter_rows(values_only=True))
    assert problems[0][:3] == ("编号", "标题", "类别") and {r[0] for r in problems[1:]} == {open_one, closed, rejected}
    tasks = list(book["任务清单"].iter_rows(values_only=True))
    assert [r[0] for r in tasks[1:]] == [closed] and tasks[1][3] == "王警官"
    effects = list(book["效果清单"].iter_rows(values_only=True))
    assert effects[1][0] == closed and effects[1][5] == "已修复" and effects[1][7] == "是" and effects[1][9] == "张三"
    runner = OpsRunner(app)
    out = tmp_path / "台账.xlsx"
    result = runner.invoke("hazards", "ledger", "-o", str(out))
    assert result.exit_code == 0 and load_workbook(out).sheetnames == ["问题清单", "任务清单", "效果清单"]


def test_hazard_commands(client, app):
    code = _report(client)["code"]
    runner = OpsRunner(app)
    moved = runner.json("hazards", "move", code, "assessed", "--actor", "所长", "--note", "属实", "--json")
    assert moved == {"code": code, "state": "assessed", "allowed": ["dispatched", "rejected"]}
    refused = runner.invoke("hazards", "move", code, "closed")
    assert refused.exit_code == 1 and "allowed: dispatched, rejected" in refused.stderr
    listed = runner.json("hazards", "list", "--state", "assessed", "--json")
    assert [h["code"] for h in listed] == [code]
    shown = runner.json("hazards", "show", code, "--json")
    assert shown["events"][-1]["actor"] == "所长" and shown["events"][-1]["note"] == "属实"
    assert code in runner.invoke("hazards", "list").stdout


def test_demo_hazards_are_routed_to_people(demo_session):
    missing = demo_session.scalar(
        text("SELECT count(*) FROM hazard WHERE grid_code IS NOT NULL AND grid_worker IS NULL")
    )
    assert missing == 0
    assert demo_session.scalar(text("SELECT count(*) FROM hazard WHERE officer IS NOT NULL")) > 0
