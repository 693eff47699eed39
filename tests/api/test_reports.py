"""Coverage reports (issue #7) on the demo city: the figures against the alignment and coverage services, and
each format as a clerk opens it (openpyxl, a BOM-aware CSV reader, pypdf, json)."""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import math
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from api.services import mapdata
from api.services.alignment import Inputs, alignment, alignment_plan, load_inputs
from api.services.collector import collector_paused
from api.services.coverage import coverage_document, coverage_plan
from api.services.hazard_queries import hazard_grid_counts
from api.services.reports import Report, build_report, render
from api.services.reports.columns import DISTRICT, GRID, HAZARD, local_time, shown
from api.services.reports.columns import PRECINCT as PRECINCT_COLUMNS
from api.services.reports.model import canonical_json

PRECINCT = "130133-01"


def _window(session) -> tuple[datetime, datetime]:
    last = datetime.fromisoformat(mapdata.data_window(session)["last_patrol_at"])
    return last - timedelta(days=2), last + timedelta(seconds=1)


@pytest.fixture
def report(demo_session):
    start, end = _window(demo_session)
    return build_report(demo_session, start, end)


def test_figures_follow_the_services(demo_session, report):
    start, end = _window(demo_session)
    aligned = {g["code"]: g for g in alignment(demo_session)["grids"]}
    covered = coverage_document(demo_session, start, end)
    coverage = {g["code"]: g for g in covered["grids"]}
    hazards = hazard_grid_counts(demo_session, now=end)
    assert len(report.grids) == 400 and len(report.districts) == 43 and len(report.precincts) == 11
    for row in report.grids:
        assert row["status"] == aligned[row["code"]]["status"]
        assert row["top_share"] == aligned[row["code"]]["shares"][0]["share"]
        assert row["coverage"] == coverage[row["code"]]["coverage"]
        assert row["last_patrol_at"] == coverage[row["code"]]["last_patrol_at"]
        assert row["overdue_hazards"] == hazards.get(row["code"], {}).get("overdue", 0)
    districts = {d["code"]: d for d in covered["districts"]}
    for row in report.districts:
        for key in ("coverage", "mean_coverage", "min_coverage", "grids_not_patrolled"):
            assert row[key] == districts[row["code"]][key]
    rates = {p["code"]: p["alignment_rate"] for p in alignment(demo_session)["precincts"]}
    assert {p["code"]: p["alignment_rate"] for p in report.precincts} == rates
    assert sum(p["grids"] for p in report.precincts) == 400
    assert report.summary["hazards_opened"] == sum(p["hazards_opened"] for p in report.precincts)
    assert set(report.meta["versions"]) == {"precincts", "districts", "grids"}


def test_layers_loaded_once_give_the_same_documents(demo_session):
    """The report reads the layers once and hands them on: the documents equal those of the plain calls."""
    start, end = _window(demo_session)
    inputs = load_inputs(demo_session)
    plain = coverage_document(demo_session, start, end)
    assert coverage_document(demo_session, start, end, grids=inputs.grids) == plain
    assert coverage_plan(demo_session, start, end, grids=inputs.grids)() == plain
    aligned = alignment(demo_session, findings=False)
    assert alignment_plan(demo_session, findings=False, inputs=inputs)() == aligned
    # Layers of other versions are not used: the current ones are read again.
    stale = Inputs(inputs.grids.iloc[:0], inputs.districts.iloc[:0], inputs.precincts, ((0, 0, 0), None))
    assert alignment_plan(demo_session, findings=False, inputs=stale)() == aligned


def test_same_inputs_give_the_same_figures_and_hash(demo_session, report):
    again = build_report(demo_session, *_window(demo_session))
    assert again.meta["hash"] == report.meta["hash"]
    assert again.grids == report.grids and again.districts == report.districts
    later = build_report(demo_session, _window(demo_session)[0], _window(demo_session)[1] + timedelta(days=1))
    assert later.meta["hash"] != report.meta["hash"]


def test_xlsx_sheets_and_figures(demo_session, report):
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert book.sheetnames == ["概况", "派出所", "警务区", "网格", "隐患台账"]
    sheet = book["网格"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(GRID)).column_letter}401"
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == ["派出所编码", "派出所", "警务区编码", "警务区", "网格编码"]
    at = {h: i for i, h in enumerate(headers)}
    by_code = {g["code"]: g for g in report.grids}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        grid = by_code[row[at["网格编码"]]]
        assert row[at["巡逻覆盖率"]] == grid["coverage"]
        assert row[at["面积(km²)"]] == grid["area_km2"]
    cell = sheet.cell(2, at["巡逻覆盖率"] + 1)
    assert cell.number_format == "0.0%"
    assert isinstance(sheet.cell(2, at["最近巡逻"] + 1).value, datetime)
    summary = {r[0]: r[1] for r in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary["内容校验(SHA-256)"] == report.meta["hash"]
    assert summary["网格数"] == 400
    precincts = {r[0]: r for r in book["派出所"].iter_rows(min_row=2, values_only=True)}
    assert set(precincts) == {p["code"] for p in report.precincts}


def _json_hash(report) -> str:
    """The content hash as it was first defined, with the standard library's json."""
    figures = {k: getattr(report, k) for k in ("summary", "grids", "districts", "precincts", "hazards")}
    figures["window"] = [report.meta["from"], report.meta["to"]]
    blob = json.dumps(figures, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def test_content_hash_is_the_json_one(report):
    """orjson writes the canonical text; the hash stays what json gave (reports made before can be checked)."""
    assert report.meta["hash"] == _json_hash(report)
    for figures in ({"a": 1e-05, "b": [1.5e-07, 2, "中文"]}, {"x": 0.0001, "y": 1e16, "z": None, "w": True},
                    {"t": datetime(2026, 11, 1, 8, 30), "n": 2**70}, {1: "one"}):  # fmt: skip
        text = json.dumps(figures, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
        assert canonical_json(figures) == text.encode("utf-8")


def test_collector_is_paused_while_building_and_restored():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # another report at once
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # as it was
    finally:
        gc.enable()


def _expected(column, value, lang="zh"):
    """What a table cell holds when the workbook is opened: the writer's value for the column's kind."""
    kind = column[3]
    if kind == "time":
        return local_time(value)
    if kind not in ("text", "int", "pct", "km2", "num"):
        value = shown(value, kind, lang)
    return None if value == "" else value


def test_xlsx_tables_hold_every_row_and_format(report):
    """Every cell of the four tables, against the report's rows, with its column's number format."""
    assert report.hazards, "the demo city has hazards"
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    formats = {"pct": "0.0%", "km2": "0.000", "time": "yyyy-mm-dd hh:mm", "int": "0"}
    for name, columns, rows in (("派出所", PRECINCT_COLUMNS, report.precincts), ("警务区", DISTRICT, report.districts),
                                ("网格", GRID, report.grids), ("隐患台账", HAZARD, report.hazards)):  # fmt: skip
        sheet = book[name]
        assert sheet.max_row == len(rows) + 1 and sheet.max_column == len(columns)
        assert sheet.freeze_panes == "A2"
        assert [c.value for c in sheet[1]] == [c[1] for c in columns]
        assert all(c.font.b for c in sheet[1])
        for cells, row in zip(sheet.iter_rows(min_row=2), rows, strict=True):
            for cell, column in zip(cells, columns, strict=True):
                assert cell.value == _expected(column, row.get(column[0])), (name, cell.coordinate, column)
                if cell.value is not None:
                    assert cell.number_format == formats.get(column[3], "General"), (name, cell.coordinate)


def _one_grid_report(**values) -> Report:
    row = {c[0]: None for c in GRID} | values
    meta = {"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-02T00:00:00+08:00", "hash": "0" * 64,
            "versions": {"precincts": 1, "districts": 1, "grids": 1}, "radius_m": 100.0,
            "generated_at": "2026-11-02T08:00:00+08:00", "precinct": None}  # fmt: skip
    return Report(meta, {}, [row], [], [], [{"code": "H-1", "severity": 2}])  # a row without most keys


def test_xlsx_writes_awkward_text_and_numbers():
    """Markup, control characters, edge spaces and text over Excel's limit; numpy numbers, NaN, booleans."""
    import numpy as np

    report = _one_grid_report(
        name="<b>A&B</b> \"x\"", community=" 东关\x01村 ", district_name="x" * 40_000,
        households=np.int64(12), area_km2=np.float64(0.25), coverage=math.nan, key_places=True,
        last_patrol_at="2026-11-01T23:59:30+08:00", status="split", precinct="",
    )  # fmt: skip
    book = load_workbook(io.BytesIO(render(report, "xlsx", "en")))
    values = dict(zip([c.value for c in book["Grids"][1]], [c.value for c in book["Grids"][2]], strict=True))
    assert values["Grid name"] == '<b>A&B</b> "x"'
    assert values["Community"] == " 东关_x0001_村 "
    assert values["Police district"] == "x" * 32_767
    assert values["Households"] == 12 and values["Area (km²)"] == 0.25
    assert values["Patrol coverage"] is None and values["Precinct code"] is None
    assert values["Key places"] is True
    assert values["Last patrol"] == datetime(2026, 11, 1, 23, 59, 30)
    assert values["Alignment"] == "split"
    ledger = [[c.value for c in row] for row in book["Hazard ledger"].iter_rows(min_row=2)]
    assert ledger == [["H-1", None, None, 2] + [None] * 12]


def test_cli_writes_english_xlsx_atomically(demo_runner, demo_session, tmp_path):
    start, end = _window(demo_session)
    out = tmp_path / "r.xlsx"
    result = demo_runner.invoke("report", "--format", "xlsx", "-o", str(out), "--precinct", PRECINCT,
                                "--from", start.isoformat(), "--to", end.isoformat(), "--lang", "en")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "wrote" in result.stderr and "sha256" in result.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "Precincts", "Districts", "Grids", "Hazard ledger"]
    assert [c.value for c in book["Grids"][1]][:3] == ["Precinct code", "Precinct", "District code"]
    assert {r[0] for r in book["Grids"].iter_rows(min_row=2, values_only=True)} == {PRECINCT}
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def test_cli_refuses_an_unknown_precinct(demo_runner, tmp_path):
    out = tmp_path / "r.csv"
    result = demo_runner.invoke("report", "--format", "csv", "-o", str(out), "--precinct", "nope")
    assert result.exit_code == 1
    assert "no precinct with code 'nope'" in result.stderr
    assert not out.exists()


def test_csv_has_a_bom_and_one_row_per_grid(demo_client, demo_session):
    start, end = _window(demo_session)
    response = demo_client.get("/api/reports/coverage.csv", query_string={"from": start.isoformat(),
                                                                           "to": end.isoformat()})  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="coverage-report-all-')
    assert "filename*=UTF-8''%E7%BD%91%E6%A0%BC" in disposition  # 网格…
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 400
    assert len({r["网格编码"] for r in rows}) == 400
    assert rows[0]["派出所"] == "赵州派出所"


def test_geojson_lists_every_grid(demo_client, demo_session):
    start, end = _window(demo_session)
    response = demo_client.get(f"/api/reports/coverage.geojson?from={start.date()}&to={end.date() + timedelta(1)}")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    doc = json.loads(response.data)
    assert len(doc["features"]) == 400
    feature = doc["features"][0]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {"coverage", "status", "open_hazards", "area_km2"} <= set(feature["properties"])
    assert doc["report"]["hash"] == response.headers["X-Report-SHA256"]


def test_pdf_of_one_precinct(demo_client, demo_session):
    start, end = _window(demo_session)
    response = demo_client.get("/api/reports/coverage.pdf", query_string={"precinct": PRECINCT,
                               "from": start.isoformat(), "to": end.isoformat()})  # fmt: skip
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.data))
    assert len(pdf.pages) >= 2
    cover, first = pdf.pages[0].extract_text(), pdf.pages[1].extract_text()
    assert "网格警务覆盖报表" in cover and "赵州派出所" in cover
    assert "赵州派出所 (130133-01)" in first and "巡逻覆盖率" in first and "km" in first
    assert [o.title for o in pdf.outline] == ["赵州派出所 (130133-01)"]


def test_pdf_of_the_city_names_every_precinct(report):
    pdf = PdfReader(io.BytesIO(render(report, "pdf")))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert len(pdf.outline) == 11
    for precinct in report.precincts:
        assert f"{precinct['name']} ({precinct['code']})" in text


def test_http_errors_are_json(demo_client):
    response = demo_client.get("/api/reports/coverage.pdf?precinct=nope")
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "no precinct with code 'nope'"
    assert demo_client.get("/api/reports/coverage.doc").status_code == 400
    assert demo_client.get("/api/reports/coverage.csv?from=2026-11-02&to=2026-11-01").status_code == 400
    assert demo_client.get("/api/reports/coverage.csv?lang=fr").status_code == 400


def test_reports_page_offers_the_downloads(demo_client):
    html = demo_client.get("/reports").get_data(as_text=True)
    assert 'id="jw-coverage-report"' in html
    assert '"reports": "/api/reports/coverage.xlsx"' in html
    for fmt in ("xlsx", "csv", "pdf", "geojson"):
        assert f'data-format="{fmt}"' in html
    assert "jingwang report command" not in html
