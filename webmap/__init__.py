"""What people see: the pages of jingwang. Data comes from :mod:`api.services` or the JSON API; nothing here writes.

``init_app(app)`` sets up everything the pages need: languages (Flask-Babel), the offline assets and the page
blueprints. ``create_app`` calls it once the API blueprints are registered.
"""

from __future__ import annotations

from flask import Flask

__all__ = ["init_app"]

BASEMAP_COORDS = ("wgs84", "gcj02")


def init_app(app: Flask) -> None:
    """Register the web pages on ``app``."""
    from webmap import assets, i18n, login, pages

    # The lon/lat flavour of the basemap tiles: with gcj02 (Amap-style tiles) the browser shifts every overlay.
    coords = str(app.config.get("BASEMAP_COORDS") or "wgs84").lower()
    app.config["BASEMAP_COORDS"] = coords if coords in BASEMAP_COORDS else "wgs84"
    i18n.init_app(app)
    app.register_blueprint(assets.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(login.bp)
