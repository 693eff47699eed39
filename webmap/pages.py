"""The landing page: what is in the store, with links to the data."""

from __future__ import annotations

from flask import Blueprint, render_template

from api.db import get_session
from api.layers import LAYERS
from api.services.boundaries import current_counts

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
def index() -> str:
    counts = current_counts(get_session())
    return render_template("index.html", layers=LAYERS, counts=counts)
