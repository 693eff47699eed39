"""The pages in a real Chromium against a real server: offline, clean, and usable — layers, the grid panel,
search, the alignment view, the upload flow, the language switch, and names from files shown as text."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from geo.crs import wgs84_to_gcj02
from tests.webmap.conftest import LiveServer, make_live_app, watch_page

CJK = re.compile(r"[\u3400-\u9fff]")
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def api(web_engine: Engine) -> FlaskClient:
    """A client of the same database as the server (to read figures and to write test data)."""
    return make_live_app(web_engine).test_client()


def open_page(page: Page, server: LiveServer, path: str) -> None:
    page.goto(server.url + path)
    page.wait_for_selector("body[data-ready]")


def wait_for_tiles(page: Page) -> None:
    page.wait_for_function(
        "() => JW.app && Object.keys(JW.app.layers.grids._tiles).length > 0 && !JW.app.layers.grids.isLoading()"
    )
    page.wait_for_load_state("networkidle")


def click_at(page: Page, lon: float, lat: float) -> None:
    """Click the map where WGS-84 lon/lat is drawn."""
    x, y = page.evaluate(
        """([lat, lng]) => { const m = JW.app.map, p = m.latLngToContainerPoint(JW.coords.toMap([lat, lng]));
             const r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def grid_point(api: FlaskClient, code: str) -> tuple[float, float]:
    box = api.get(f"/api/map/grids/{code}").get_json()["grid"]["bbox"]
    labels = api.get("/api/map/labels/grids", query_string={"bbox": ",".join(map(str, box))}).get_json()
    point = next(f for f in labels["features"] if f["properties"]["code"] == code)
    lon, lat = point["geometry"]["coordinates"]
    return lon, lat


def import_grid(api: FlaskClient, code: str, name: str, lon: float, lat: float) -> None:
    """A small square grid appended to the store (outside the demo county: it changes no split grid)."""
    d = 0.004
    feature = {
        "type": "Feature",
        "properties": {"code": code, "name": name, "grid_worker": name, "households": 123},
        "geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat]]]},
    }
    body = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    data: dict[str, Any] = {"layer": "grids", "mode": "append", "file": (io.BytesIO(body), f"{code}.geojson")}
    response = api.post("/api/imports", data=data)
    assert response.status_code == 201, response.get_json()


def test_map_loads_offline_with_no_error(page: Page, live_server: LiveServer):
    open_page(page, live_server, "/")
    wait_for_tiles(page)
    expect(page.locator(".jw-label-precincts", has_text="赵州派出所")).to_be_visible()
    assert page.locator(".leaflet-jw-precincts-pane canvas").count() > 0
    assert page.locator(".leaflet-jw-districts-pane canvas").count() > 0
    expect(page.locator("#jw-legend")).to_contain_text("3 条及以上未销号隐患")
    page.evaluate("() => { JW.app.map.setZoom(12); }")
    page.wait_for_url(re.compile(r"[?&]z=12&lat=[\d.]+&lng=[\d.]+"))  # the view is in the URL, to share
    wait_for_tiles(page)
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_layer_toggles_change_what_is_drawn(page: Page, live_server: LiveServer):
    open_page(page, live_server, "/")
    wait_for_tiles(page)
    control = page.locator(".leaflet-control-layers")
    control.get_by_text("网格", exact=True).click()
    expect(page.locator(".leaflet-jw-grids-pane canvas")).to_have_count(0)
    assert "layers=precincts%2Cdistricts%2Clabels" in page.url or "layers=precincts,districts,labels" in page.url
    control.get_by_text("重点场所", exact=True).click()
    expect(page.locator(".leaflet-marker-pane .jw-pin, .leaflet-marker-pane .marker-cluster").first).to_be_visible()
    expect(page.locator("#jw-legend")).to_contain_text("学校")
    control.get_by_text("未销号隐患", exact=True).click()
    expect(page.locator(".jw-pin-hazard").first).to_be_attached()
    control.get_by_text("巡逻轨迹", exact=True).click()
    page.wait_for_function("() => JW.app.layers.patrols.getLayers().length > 0")
    control.get_by_text("警情", exact=True).click()  # incidents of the window, by type
    expect(page.locator(".jw-pin-incident, .leaflet-marker-pane .marker-cluster").first).to_be_attached()
    expect(page.locator("#jw-legend")).to_contain_text("诈骗")
    assert "incidents" in page.url
    page.get_by_label("重点场所").first.check()  # grid colouring by key places
    page.wait_for_function("() => JW.gridStyle.mode === 'keyplaces'")
    expect(page.locator("#jw-legend")).to_contain_text("3 处及以上重点场所")
    assert "style=keyplaces" in page.url
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_clicking_a_grid_shows_its_figures(page: Page, live_server: LiveServer, api: FlaskClient):
    figures = api.get("/api/map/grid-figures").get_json()["grids"]
    code = next(c for c, (places, open_, _overdue) in sorted(figures.items()) if places >= 2 and open_ >= 1)
    detail = api.get(f"/api/map/grids/{code}").get_json()
    lon, lat = grid_point(api, code)
    open_page(page, live_server, f"/?z=15&lat={lat}&lng={lon}")
    wait_for_tiles(page)
    click_at(page, lon, lat)
    panel = page.locator("#jw-panel")
    expect(panel.locator("h2")).to_have_text(detail["grid"]["name"])
    expect(panel.locator("dd[data-field=officer]")).to_have_text(detail["district"]["officer"])
    expect(panel.locator("dd[data-field=grid_worker]")).to_have_text(detail["grid"]["grid_worker"])
    expect(panel.locator("dd[data-field=households]")).to_have_text(f"{detail['grid']['households']:,}")
    expect(panel.locator("dd[data-field=key_places]")).to_have_text(str(detail["counts"]["key_places"]))
    expect(panel.locator("dd[data-field=open_hazards]")).to_have_text(str(detail["counts"]["open_hazards"]))
    expect(panel.get_by_role("link", name="查看本网格全部隐患")).to_have_attribute("href", re.compile(f"grid={code}"))
    assert f"grid={code}" in page.url
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_search_zooms_to_a_unit(page: Page, live_server: LiveServer):
    open_page(page, live_server, "/")
    page.locator("#jw-search").fill("130133-02-W010")
    page.locator("#jw-search-results button").first.click()
    expect(page.locator("#jw-panel h2")).to_be_visible()
    expect(page.locator("#jw-panel")).to_contain_text("130133-02-W010")
    page.wait_for_function("() => JW.app.map.getZoom() >= 14")
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_alignment_view_highlights_split_grids(page: Page, live_server: LiveServer):
    open_page(page, live_server, "/alignment")
    expect(page.locator("#jw-align-summary")).to_have_attribute("data-split", "6")
    for code in ("130133-02-W010", "130133-04-W023", "130133-10-W008"):
        expect(page.locator(f"#jw-split-list button[data-code='{code}']")).to_be_visible()
    colour = page.evaluate("() => JW.gridStyle.style({code: '130133-02-W010'}, 12).fillColor")
    whole = page.evaluate("() => JW.gridStyle.style({code: '130133-01-W001'}, 12).fillColor")
    assert colour == "#fb8c00" and whole == "#a5d6a7"
    page.locator("#jw-split-list button[data-code='130133-02-W010']").click()
    expect(page.locator("#jw-panel dd[data-field=status]")).to_have_text("被切分")
    expect(page.locator("#jw-panel .jw-panel-alignment")).to_contain_text("130133-02-02")
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_language_switch(page: Page, live_server: LiveServer):
    open_page(page, live_server, "/?precinct=130133-03")
    wait_for_tiles(page)  # leaving a page mid-load aborts its requests: let it finish first
    page.locator("#jw-lang").click()
    page.wait_for_selector("body[data-ready]")
    wait_for_tiles(page)
    assert "precinct=130133-03" in page.url, "the switch keeps the view"
    expect(page.locator(".jw-nav")).to_contain_text("Map")
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom in"
    for selector in (".jw-nav", ".jw-sidebar", ".leaflet-control-layers", "title"):
        text = page.locator(selector).first.text_content() or ""
        assert not CJK.search(text), f"{selector}: {text}"
    page.locator("#jw-lang").click()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator(".jw-nav")).to_contain_text("地图")
    wait_for_tiles(page)
    page.watch.assert_clean()  # type: ignore[attr-defined]


GRIDS_FILE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"BM": f"T-000{i}", "MC": f"测试网格{i}", "MC2": f"备用名{i}", "SJ": "130133-01-01"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[115.4 + i / 100, 37.5], [115.41 + i / 100, 37.5], [115.41 + i / 100, 37.51],
                                 [115.4 + i / 100, 37.51], [115.4 + i / 100, 37.5]]],
            },
        }
        for i in (1, 2)
    ],
}  # fmt: skip


def test_upload_flow_end_to_end(page: Page, live_server: LiveServer, tmp_path):
    path = tmp_path / "网格.geojson"
    path.write_text(json.dumps(GRIDS_FILE, ensure_ascii=False), encoding="utf-8")
    open_page(page, live_server, "/upload")
    page.locator("#jw-layer").select_option("grids")
    page.locator("#jw-file").set_input_files(str(path))
    report = page.locator("#jw-report")
    expect(report.locator("dd[data-field=features]")).to_have_text("2")
    expect(report).to_contain_text("MC2")
    expect(page.locator("#jw-code-field")).to_have_value("BM")
    expect(report.locator("#jw-preview-table")).to_contain_text("测试网格1")
    page.locator("#jw-name-field").select_option("MC2")  # map the name to another column: checked again
    expect(report.locator("#jw-preview-table")).to_contain_text("备用名1")
    page.locator("summary").click()
    page.locator("select[name=mode]").select_option("append")
    page.wait_for_function("() => !document.getElementById('jw-import').disabled")
    page.locator("#jw-import").click()
    expect(page.locator("#jw-upload-status")).to_contain_text("导入完成：2 个单元")
    page.get_by_role("link", name="打开地图").click()
    page.wait_for_selector("body[data-ready]")
    page.locator("#jw-search").fill("T-0001")
    expect(page.locator("#jw-search-results")).to_contain_text("备用名1")
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_upload_hazards_with_their_history(page: Page, live_server: LiveServer, api: FlaskClient, tmp_path):
    hazards, history = tmp_path / "隐患台账.csv", tmp_path / "处理记录.csv"
    hazards.write_text(
        "编号,标题,类别,状态,发现时间,经度,纬度\n"
        "HIST1,消防通道堵塞,fire,closed,2026-11-01T09:00:00+08:00,114.765,37.745\n"
        "HIST2,电线私拉乱接,fire,rejected,2026-11-01T10:00:00+08:00,114.775,37.745\n",
        encoding="utf-8",
    )
    history.write_text(
        "隐患编号,新状态,经办人,时间\n"
        "HIST1,reported,网格员1,2026-11-01T09:00:00+08:00\n"
        "HIST1,assessed,王警官,2026-11-01T11:00:00+08:00\n"
        "HIST1,dispatched,王警官,2026-11-01T12:00:00+08:00\n"
        "HIST1,resolved,网格员1,2026-11-02T09:00:00+08:00\n"
        "HIST1,closed,王警官,2026-11-02T15:30:00+08:00\n",
        encoding="utf-8",
    )
    open_page(page, live_server, "/upload")
    history_input = page.locator("input[name=history]")
    expect(history_input).to_be_hidden()
    page.locator("#jw-layer").select_option("hazards")
    page.locator("#jw-file").set_input_files(str(hazards))
    page.locator("summary").click()
    history_input.set_input_files(str(history))
    page.wait_for_function("() => !document.getElementById('jw-import').disabled")
    page.locator("#jw-import").click()
    expect(page.locator("#jw-upload-status")).to_contain_text("导入完成")
    steps = api.get("/api/hazards/HIST1").get_json()["events"]
    assert [(e["to"], e["actor"]) for e in steps] == [
        ("reported", "网格员1"), ("assessed", "王警官"), ("dispatched", "王警官"), ("resolved", "网格员1"),
        ("closed", "王警官"),
    ]  # fmt: skip
    assert [e["to"] for e in api.get("/api/hazards/HIST2").get_json()["events"]] == ["reported", "rejected"]
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_upload_errors_are_shown(browser: Any, live_server: LiveServer, tmp_path):
    context = browser.new_context()
    page = context.new_page()
    watch = watch_page(page, live_server.url.split("//")[1], expected_status=(422,))
    path = tmp_path / "points.geojson"
    path.write_text('{"type": "Point", "coordinates": [114.8, 37.7]}')
    open_page(page, live_server, "/upload")
    page.locator("#jw-layer").select_option("grids")
    page.locator("#jw-file").set_input_files(str(path))
    error = page.locator("#jw-upload-status .jw-error")
    expect(error).to_contain_text("文件无法使用")
    expect(page.locator("#jw-import")).to_be_disabled()
    context.close()
    assert not watch.failed and not watch.foreign


@pytest.fixture
def dialogs(page: Page) -> Iterator[list[str]]:
    seen: list[str] = []

    def on_dialog(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield seen


def test_names_from_files_are_shown_as_text(page: Page, live_server: LiveServer, api: FlaskClient, dialogs):
    lon, lat = 115.30, 37.55
    import_grid(api, "XSS-1", XSS, lon, lat)
    open_page(page, live_server, f"/?z=16&lat={lat + 0.001}&lng={lon + 0.003}&layers=grids,labels")
    wait_for_tiles(page)
    click_at(page, lon + 0.003, lat + 0.001)
    expect(page.locator("#jw-panel h2")).to_have_text(XSS)
    expect(page.locator("#jw-panel dd[data-field=grid_worker]")).to_have_text(XSS)
    expect(page.locator(".jw-label-grids", has_text=XSS)).to_be_attached()
    page.locator("#jw-search").fill("XSS-1")
    expect(page.locator("#jw-search-results")).to_contain_text(XSS)
    page.wait_for_timeout(300)
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_gcj02_basemap_shifts_the_overlays(browser: Any, web_engine: Engine):
    server = LiveServer(make_live_app(web_engine, BASEMAP_COORDS="gcj02"))
    try:
        page = browser.new_page()
        watch = watch_page(page, server.url.split("//")[1])
        page.goto(server.url + "/?z=14&lat=37.75&lng=114.8")
        page.wait_for_selector("body[data-ready]")
        glon, glat = wgs84_to_gcj02([114.8], [37.75])
        drawn = page.evaluate("() => JW.coords.toMap([37.75, 114.8])")
        assert abs(drawn["lng"] - glon[0]) < 1e-9 and abs(drawn["lat"] - glat[0]) < 1e-9
        centre = page.evaluate("() => JW.app.map.getCenter()")
        assert abs(centre["lng"] - glon[0]) < 1e-5, "the map opens on the shifted centre"
        shift = page.evaluate(
            "() => { const c = L.point(13416, 6334); c.z = 14; return JW.coords.tileShift(c, L.point(256, 256)); }"
        )
        assert shift["x"] > 10, "tiles move by the GCJ-02 offset (hundreds of metres, tens of pixels at z14)"
        back = page.evaluate("() => JW.coords.fromMap(JW.coords.toMap([37.75, 114.8]))")
        assert abs(back["lat"] - 37.75) < 1e-8 and abs(back["lng"] - 114.8) < 1e-8
        watch.assert_clean()
        page.close()
    finally:
        server.stop()


def test_manual_moves_re_evaluate_the_view(page: Page, live_server: LiveServer):
    open_page(page, live_server, "/alignment?precinct=130133-02")
    expect(page.locator("#jw-align-summary")).to_have_attribute("data-split", "1")
    page.locator("#jw-split-list button[data-code='130133-02-W010']").click()
    expect(page.locator("#jw-move-grid")).to_contain_text("130133-02-W010")
    page.locator("#jw-move-district").select_option("130133-02-01")
    page.locator("#jw-move").click()
    expect(page.locator("#jw-move-result")).to_have_attribute("data-split", "0")
    expect(page.locator("#jw-move-list li")).to_have_text(["130133-02-W010 → 130133-02-01"])
    whole = page.evaluate("() => JW.gridStyle.style({code: '130133-02-W010'}, 12).fillColor")
    assert whole == "#a5d6a7"
    page.locator("#jw-propose").click()  # the proposal takes the move along
    expect(page.locator("#jw-proposal")).to_be_visible()
    page.locator("#jw-move-undo").click()
    expect(page.locator("#jw-move-list li")).to_have_count(0)
    split = page.evaluate("() => JW.gridStyle.style({code: '130133-02-W010'}, 12).fillColor")
    assert split == "#fb8c00"
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_report_a_hazard_on_the_map(page: Page, live_server: LiveServer):
    import geopandas as gpd

    grids = gpd.read_file(Path(__file__).resolve().parents[2] / "data" / "boundaries" / "grids.geojson")
    spot = grids.set_index("code").loc["130133-01-W001"].geometry.representative_point()
    open_page(page, live_server, "/?precinct=130133-01")
    wait_for_tiles(page)
    page.locator("#jw-report").click()
    click_at(page, spot.x, spot.y)
    form = page.locator("#jw-report-form")
    form.locator("input[name=title]").fill("<b>楼道</b>堆放杂物")
    form.locator("select[name=category]").select_option("fire")
    form.locator("input[name=reporter]").fill("网格员甲")
    form.locator("button[type=submit]").click()
    status = page.locator("#jw-report-status")
    expect(status).to_contain_text("130133-01-W001")
    code = status.get_attribute("data-code")
    detail = page.request.get(f"{live_server.url}/api/hazards/{code}").json()
    assert detail["grid_code"] == "130133-01-W001" and detail["title"] == "<b>楼道</b>堆放杂物"
    assert detail["state"] == "reported" and detail["category"] == "fire"
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_a_hazard_moves_through_its_lifecycle_from_the_list(page: Page, live_server: LiveServer, api: FlaskClient):
    listed = api.get("/api/hazards", query_string={"state": "reported"}).get_json()["features"]
    code = listed[0]["properties"]["code"]
    open_page(page, live_server, f"/hazards?state=reported&hazard={code}")  # the open hazard is in the URL
    detail = page.locator("#jw-hazard-detail")
    expect(detail).to_be_visible()
    expect(page.locator("#jw-hazard-events li").first).to_contain_text("已上报")
    actions = page.locator("#jw-hazard-actions button")
    expect(actions).to_have_text(["研判", "不予受理"])
    page.locator("#jw-hazard-move textarea[name=note]").fill("<i>核实</i>属实")
    actions.filter(has_text="研判").click()
    expect(detail).to_have_attribute("data-state", "assessed")
    expect(page.locator("#jw-hazard-events li").last).to_contain_text("<i>核实</i>属实")  # shown as text
    expect(page.locator(f"#jw-hazard-table tr[data-code='{code}']")).to_have_count(0)  # no longer "reported"
    page.locator("#jw-hazard-move input[name=assignee]").fill("消防专干")
    page.locator("#jw-hazard-actions button", has_text="推送处置").click()
    expect(detail).to_have_attribute("data-state", "dispatched")
    stored = api.get(f"/api/hazards/{code}").get_json()
    assert stored["state"] == "dispatched" and stored["assignee"] == "消防专干"
    assert [e["to"] for e in stored["events"]][-2:] == ["assessed", "dispatched"]
    assert stored["events"][-2]["note"] == "<i>核实</i>属实"
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_alignment_proposal_is_shown_then_applied(page: Page, live_server: LiveServer):
    """Last in this module: applying writes a new district version (other tests count split grids)."""
    open_page(page, live_server, "/alignment?precinct=130133-02")
    expect(page.locator("#jw-align-summary")).to_have_attribute("data-split", "1")
    page.locator("#jw-propose").click()
    table = page.locator("#jw-proposal table")
    expect(table).to_contain_text("130133-02-W010")
    expect(page.locator("#jw-apply")).to_be_disabled()
    page.locator("#jw-apply-check").check()
    page.locator("#jw-apply").click()
    expect(page.locator("#jw-proposal")).to_contain_text("已应用")
    page.wait_for_load_state("load")
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#jw-align-summary")).to_have_attribute("data-split", "0")
    page.watch.assert_clean()  # type: ignore[attr-defined]


def test_reports_page_exports_follow_precinct_and_as_of(page: Page, live_server: LiveServer, tmp_path):
    import pyogrio

    open_page(page, live_server, "/reports?precinct=130133-03")
    link = page.locator("a.jw-export[data-layer='grids'][href*='.gpkg']")
    expect(link).to_have_attribute("href", re.compile(r"grids\.gpkg\?precinct=130133-03$"))
    page.locator("#jw-export-as-of").fill("2099-01-01")
    page.locator("#jw-export-as-of").dispatch_event("change")
    expect(link).to_have_attribute("href", re.compile(r"precinct=130133-03&as_of=2099-01-01"))
    gbk = page.locator("a.jw-export[data-layer='grids'][href*='encoding=GBK']")
    expect(gbk).to_have_attribute("href", re.compile(r"encoding=GBK&precinct=130133-03&as_of=2099-01-01"))
    places = page.locator("a.jw-export[data-layer='key-places'][href*='.kml']")
    expect(places).not_to_have_attribute("href", re.compile("as_of"))  # key places keep no history
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "grids.gpkg"
    info.value.save_as(path)
    grids = pyogrio.read_dataframe(path)
    assert len(grids) > 0 and set(grids["precinct_code"]) == {"130133-03"}
    assert grids["name"].str.contains("网格").all()
    page.watch.assert_clean()  # type: ignore[attr-defined]
