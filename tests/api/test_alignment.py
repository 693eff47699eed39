"""The alignment on the demo city through the CLI and the API: the deliberate split grids and slivers are
found, proposals remove them, moves re-evaluate, applying writes a revertible version."""

from __future__ import annotations

import json

from sqlalchemy import text

from api.services.store import load_layer

# What data/boundaries/README.md says was drawn in on purpose.
SPLIT = {
    "130133-02-W010",
    "130133-04-W023",
    "130133-05-W028",
    "130133-08-W020",
    "130133-09-W023",
    "130133-10-W008",
}


def _doc(demo_runner, *args: str) -> dict:
    result = demo_runner.invoke("align", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_finds_the_split_grids_and_slivers(demo_runner):
    doc = _doc(demo_runner)
    s = doc["summary"]
    assert s["grids"] == 400 and s["split"] == 6 and s["orphan"] == 0 and s["whole"] == 394
    assert s["alignment_rate"] == round(394 / 400, 3) or abs(s["alignment_rate"] - 394 / 400) < 1e-3
    assert {g["code"] for g in doc["grids"] if g["status"] == "split"} == SPLIT
    district_gaps = [g for g in doc["gaps"] if g["level"] == "districts"]
    district_overlaps = [o for o in doc["overlaps"] if o["level"] == "districts"]
    assert len(district_gaps) == 2 and len(district_overlaps) == 1
    assert all(p["sliver"] and p["area_m2"] < 100 for p in district_gaps + district_overlaps)
    assert {o["precinct"] for o in district_overlaps} == {"130133-11"}
    split = next(g for g in doc["grids"] if g["code"] == "130133-02-W010")
    assert [x["district"] for x in split["shares"]] == ["130133-02-01", "130133-02-02"] or len(split["shares"]) == 2
    assert abs(sum(x["share"] for x in split["shares"]) - 1) < 1e-3


def test_cli_table_is_chinese_by_default_and_english_on_request(demo_runner):
    zh = demo_runner.invoke("align")
    assert zh.exit_code == 0 and "被切分" in zh.stdout and "130133-02-W010" in zh.stdout
    en = demo_runner.invoke("align", "--lang", "en")
    assert "split" in en.stdout and "被切分" not in en.stdout


def test_precinct_scope_and_tolerance(demo_runner):
    doc = _doc(demo_runner, "--precinct", "130133-02")
    assert {d["precinct"] for d in doc["districts"]} == {"130133-02"}
    assert doc["summary"]["split"] == 1
    loose = _doc(demo_runner, "--tolerance", "0.49")
    assert loose["summary"]["split"] < 6


def test_proposal_removes_splits_and_apply_writes_a_revertible_version(demo_runner, demo_session, tmp_path):
    out = tmp_path / "proposal.geojson"
    doc = _doc(demo_runner, "--propose", "-o", str(out))
    changed = [d for d in doc["proposal"]["districts"] if d["gained"] or d["lost"]]
    gained = {g for d in changed for g in d["gained"]}
    assert gained == SPLIT
    assert all(d["area_moved_m2"] > 0 for d in changed)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert len(written["features"]) == 43

    applied = _doc(demo_runner, "--propose", "--apply")
    import_id = applied["applied"]["import_id"]
    after = _doc(demo_runner)
    assert after["summary"]["split"] == 0 and after["summary"]["whole"] == 400
    assert not [g for g in after["gaps"] if g["level"] == "districts"]
    assert not [o for o in after["overlaps"] if o["level"] == "districts"]
    mode = demo_session.scalar(text("SELECT mode FROM boundary_import WHERE id = :i"), {"i": import_id})
    assert mode == "proposal"

    previous = demo_session.scalar(
        text("SELECT max(id) FROM boundary_import WHERE layer = 'districts' AND id < :i"), {"i": import_id}
    )
    assert demo_runner.invoke("revert", str(previous)).exit_code == 0
    assert _doc(demo_runner)["summary"]["split"] == 6


def test_api_document_and_findings(demo_client):
    doc = demo_client.get("/api/alignment").get_json()
    assert doc["summary"]["split"] == 6
    split = demo_client.get("/api/alignment/split-grids.geojson")
    assert split.mimetype == "application/geo+json"
    assert {f["properties"]["code"] for f in split.get_json()["features"]} == SPLIT
    gaps = demo_client.get("/api/alignment/gaps.geojson").get_json()
    assert all(f["geometry"]["type"].endswith("Polygon") for f in gaps["features"])
    assert demo_client.get("/api/alignment?tolerance=2").status_code == 400
    assert demo_client.get("/api/alignment?precinct=nope").status_code == 404


def test_api_moves_re_evaluate_without_writing(demo_client, demo_session):
    before = demo_session.scalar(text("SELECT count(*) FROM boundary_import"))
    body = {"moves": [{"grid": "130133-02-W010", "district": "130133-02-01"}]}
    changed = demo_client.post("/api/alignment/moves", json=body).get_json()
    assert changed["summary"]["split"] == 5
    moved = next(g for g in changed["grids"] if g["code"] == "130133-02-W010")
    assert moved["status"] == "whole" and moved["owner"] == "130133-02-01"
    assert demo_session.scalar(text("SELECT count(*) FROM boundary_import")) == before
    bad = demo_client.post("/api/alignment/moves", json={"moves": [{"grid": "nope", "district": "130133-02-01"}]})
    assert bad.status_code == 400


def test_api_proposal_and_apply(demo_client, demo_session):
    proposal = demo_client.post("/api/alignment/proposal", json={}).get_json()
    assert len(proposal["geojson"]["features"]) == 43
    applied = demo_client.post("/api/alignment/apply", json={"user": "analyst"})
    assert applied.status_code == 201
    assert demo_client.get("/api/alignment").get_json()["summary"]["split"] == 0
    districts = load_layer(demo_session, "districts")
    assert len(districts) == 43


def test_workload(demo_client):
    doc = demo_client.get("/api/alignment/workload").get_json()
    assert len(doc["districts"]) == 43 and len(doc["precincts"]) == 11
    first = doc["districts"][0]
    for key in ("grids", "households", "key_places", "open_hazards", "compactness", "parts", "deviation"):
        assert key in first
    assert sum(d["key_places"] for d in doc["districts"]) == 300
    every = sum(d["incidents"] for d in doc["districts"])
    assert every == 500
    day = demo_client.get("/api/alignment/workload?from=2026-11-01&to=2026-11-02").get_json()
    in_day = sum(d["incidents"] for d in day["districts"])
    assert 0 < in_day < every
    none = demo_client.get("/api/alignment/workload?from=2020-01-01&to=2020-01-02").get_json()
    assert sum(d["incidents"] or 0 for d in none["districts"]) == 0


def test_api_moves_report_every_grid_they_changed(demo_client):
    body = {
        "moves": [
            {"grid": "130133-02-W010", "district": "130133-02-01"},
            {"grid": "130133-04-W023", "district": "130133-04-03"},
        ]
    }
    changed = demo_client.post("/api/alignment/moves", json=body).get_json()
    assert changed["summary"]["split"] == 4
    statuses = {g["code"]: g["status"] for g in changed["grids"]}
    assert statuses["130133-02-W010"] == statuses["130133-04-W023"] == "whole"
