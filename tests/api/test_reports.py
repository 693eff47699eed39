"""Coverage reports (issue #7) on the demo city: the figures against the alignment and coverage services, and
each format as a clerk opens it (openpyxl, a BOM-aware CSV reader, pypdf, json)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from api.services import mapdata
from api.services.alignment import Inputs, alignment, alignment_plan, load_inputs
from api.services.coverage import coverage_document, coverage_plan
from api.services.hazard_queries import hazard_grid_counts
from api.services.reports import build_report, render
from api.services.reports.columns import GRID

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
