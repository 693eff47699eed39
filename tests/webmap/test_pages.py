"""The pages render on the demo and on an empty store, in Chinese by default and English by the switch, with every
asset served by jingwang itself."""

from __future__ import annotations

import json
import re

import pytest

CJK = re.compile(r"[\u3400-\u9fff]")
PAGES = ["/", "/alignment", "/upload", "/hazards", "/reports"]


def _config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="jw-config">(.*?)</script>', html, re.S)
    assert found, "the page embeds its configuration"
    return json.loads(found.group(1))


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_in_chinese_by_default(demo_client, path):
    response = demo_client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "警网 · 网格警务" in html
    assert 'aria-current="page"' in html  # the header marks where we are


@pytest.mark.parametrize("path", PAGES)
def test_no_asset_comes_from_another_host(demo_client, path):
    html = demo_client.get(path).get_data(as_text=True)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "every script, stylesheet and icon is ours"
    assert "cdn" not in html.lower()


def test_map_page_embeds_precincts_versions_and_window(demo_client):
    config = _config(demo_client.get("/").get_data(as_text=True))
    assert len(config["precincts"]) == 11
    assert config["precincts"][0]["code"] == "130133-01"
    assert set(config["versions"]) == {"precincts", "districts", "grids"}
    assert all(v > 0 for v in config["versions"].values())
    # the demo's patrols run 2026-11-01 .. 11-03: the window opens on the 7 days up to the last one
    assert (config["view"]["from"], config["view"]["to"]) == ("2026-10-27", "2026-11-03")
    assert config["urls"]["tiles"] == "/tiles/{layer}/{z}/{x}/{y}.pbf"


def test_the_url_keeps_the_view(demo_client):
    html = demo_client.get("/?precinct=130133-02&style=keyplaces&layers=grids,keyplaces&z=14&lat=37.8&lng=114.9")
    config = _config(html.get_data(as_text=True))
    assert config["precinct"] == "130133-02"
    assert config["view"]["style"] == "keyplaces"
    assert config["view"]["layers"] == ["grids", "keyplaces"]
    assert config["view"]["fit"] is False
    assert '<option value="130133-02" selected>' in html.get_data(as_text=True)


def test_unknown_view_values_fall_back(demo_client):
    config = _config(demo_client.get("/?precinct=nope&style=<b>&layers=x,grids&z=99").get_data(as_text=True))
    assert config["precinct"] == ""
    assert config["view"]["style"] == "hazards"
    assert config["view"]["layers"] == ["grids"]
    assert config["view"]["fit"] is True


def test_reports_page_counts_the_demo(demo_client):
    html = demo_client.get("/reports").get_data(as_text=True)
    assert '<td class="count" data-layer="precincts">11</td>' in html
    assert '<td class="count" data-layer="grids">400</td>' in html


@pytest.mark.parametrize("path", PAGES)
def test_pages_work_on_an_empty_store(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_english_pages_have_no_chinese_labels(client, path):
    """On an empty store every Chinese character would be a label: only the switch back says 中文."""
    html = client.get(path + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    messages = html.split('id="jw-messages">')[1].split("</script>")[0]
    assert not CJK.search(messages), "scripts' strings are English too"
    page = re.sub(r'<a id="jw-lang"[^>]*>中文</a>', "", html)
    assert not CJK.search(page.replace(messages, ""))


def test_language_switch_sets_a_cookie_and_returns(client):
    response = client.get("/lang/en?next=/hazards%3Fstate%3Dall")
    assert response.status_code == 302
    assert response.headers["Location"] == "/hazards?state=all"
    assert "jw_lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/hazards").get_data(as_text=True)
    client.get("/lang/zh")
    assert '<html lang="zh-CN">' in client.get("/hazards").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/x", "http://evil.example/", "https:evil", ""])
def test_language_switch_is_no_open_redirect(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_vendor_assets_are_served(client):
    for path in (
        "/assets/vendor/leaflet/leaflet.js",
        "/assets/vendor/leaflet/images/layers.png",
        "/assets/vendor/markercluster/leaflet.markercluster.js",
        "/assets/vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js",
        "/assets/jw/core.js",
        "/assets/jw/app.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
    assert client.get("/assets/vendor/nothing/x.js").status_code == 404
    assert client.get("/assets/vendor/leaflet/../../../../etc/passwd").status_code == 404
