"""OWSLib, an independent OGC client from PyPI, reads /ogc over real HTTP: collections and every grid, page by page."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from owslib.ogcapi.features import Features
from sqlalchemy import text
from werkzeug.serving import make_server


@pytest.fixture
def live_url(demo_app: Flask) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # One request at a time: the app runs on the test's single (rolled-back) connection.
    server = make_server("127.0.0.1", 0, demo_app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/ogc/"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_owslib_lists_collections_and_pages_through_all_grids(live_url, demo_app, demo_session):
    api = Features(live_url, headers={"Authorization": f"Bearer {demo_app.config['TEST_TOKEN']}"})
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    assert {"precincts", "districts", "grids", "key-places", "hazards", "incidents", "gaps"} <= set(
        api.feature_collections()
    )
    assert api.collection("grids")["id"] == "grids"
    assert "limit" in api.api()["components"]["parameters"]

    codes: list[str] = []
    offset, pages = 0, 0
    while True:
        page = api.collection_items("grids", limit=150, offset=offset)
        codes += [f["properties"]["code"] for f in page["features"]]
        pages += 1
        following = [link for link in page["links"] if link["rel"] == "next"]
        if not following:
            break
        assert f"offset={offset + 150}" in following[0]["href"]
        offset += 150
    total = demo_session.scalar(text("SELECT count(*) FROM grid WHERE valid_to IS NULL"))
    assert len(codes) == len(set(codes)) == total == page["numberMatched"]
    assert pages == -(-total // 150)
    names = [f["properties"]["name"] for f in api.collection_items("grids", limit=3)["features"]]
    assert all("网格" in name for name in names)  # Chinese text survives the round trip
