"""The Leaflet map of a page, built with folium and cut into the three parts our templates place.

folium's defaults load Leaflet, jQuery and Bootstrap from CDNs: each map gets our own asset list instead, so no
request leaves the host. The basemap is ``TILE_URL`` when set; otherwise there is none and the page draws a plain
background under the boundaries and labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import Figure
from flask import url_for
from markupsafe import Markup

from api.auth.hardening import csp_nonce
from geo.crs import wgs84_to_gcj02
from webmap.assets import VENDOR_CSS, VENDOR_JS

__all__ = ["MapParts", "build_map", "map_parts", "View", "DEFAULT_VIEW"]


@dataclass(frozen=True)
class View:
    """Where the map opens: centre in WGS-84 lon/lat and a zoom level."""

    lat: float
    lng: float
    zoom: int


DEFAULT_VIEW = View(lat=35.0, lng=105.0, zoom=4)  # all of China, for an empty store


@dataclass(frozen=True)
class MapParts:
    name: str  # the JavaScript variable folium gives the map
    header: Markup
    html: Markup
    script: Markup


def _vendor(kind: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(f"{lib}:{name}", url_for("assets.vendor", library=lib, filename=name)) for lib, name in kind]


def build_map(view: View, tile_url: str = "", attribution: str = "", basemap_coords: str = "wgs84") -> folium.Map:
    """A folium map opened on ``view``; the overlays are added in the browser by our scripts."""
    lng, lat = view.lng, view.lat
    if basemap_coords == "gcj02":  # the map's own frame is the basemap's: open on the shifted centre
        glng, glat = wgs84_to_gcj02([lng], [lat])
        lng, lat = float(glng[0]), float(glat[0])
    fmap = folium.Map(
        location=[lat, lng],
        zoom_start=view.zoom,
        tiles=None,
        min_zoom=3,
        max_zoom=19,
        prefer_canvas=True,
        zoom_control=False,  # added by our script, with translated button titles
    )
    # Instance attributes: never mutate folium's class-level lists (shared by every map in the process).
    fmap.default_js = _vendor(VENDOR_JS)
    fmap.default_css = _vendor(VENDOR_CSS)
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=attribution, max_zoom=19, control=False).add_to(fmap)
    return fmap


def map_parts(fmap: folium.Map) -> MapParts:
    """Render the map and return its header (links, sizes), body element and script, ready for a template."""
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.render()  # fills the header with the asset links
    # folium's header has one small inline script: it runs under the page's CSP nonce.
    header = root.header.render().replace("<script>", f'<script nonce="{csp_nonce()}">')
    return MapParts(
        name=fmap.get_name(),
        header=Markup(header),
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
    )
