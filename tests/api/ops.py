"""Helpers for the operations tests: the app with the operations blueprints, a CLI group with their commands, and a
small city of boundaries written with :func:`api.services.boundaries.write_version`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
from click.testing import CliRunner, Result
from flask import Flask
from shapely.geometry import box
from sqlalchemy.orm import Session

from api.layers import LAYERS
from api.services.boundaries import ImportMeta, write_version
from api.services.options import ImportOptions
from api.services.points import import_points

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"

# 2 × 2 grids of 0.01° in 赵县, two districts (west, east) of one precinct
GRID_BOXES = {
    "G01": box(114.76, 37.74, 114.77, 37.75),
    "G02": box(114.77, 37.74, 114.78, 37.75),
    "G03": box(114.76, 37.75, 114.77, 37.76),
    "G04": box(114.77, 37.75, 114.78, 37.76),
}
GRID_DISTRICT = {"G01": "D1", "G03": "D1", "G02": "D2", "G04": "D2"}


def with_ops(app: Flask) -> Flask:
    """Register the coverage, hazards and points blueprints unless ``create_app`` already does."""
    from api.routes import coverage, hazards, points

    for bp in (coverage.bp, hazards.bp, points.bp):
        if bp.name not in app.blueprints:
            app.register_blueprint(bp)
    return app


class OpsRunner:
    """Invokes the operations commands (``coverage``, ``hazards …``) inside ``app``'s context."""

    def __init__(self, app: Flask) -> None:
        from api.commands.ops import register

        @click.group()
        @click.pass_context
        def group(ctx: click.Context) -> None:
            ctx.with_resource(app.app_context())

        register(group)
        self.group = group
        self.runner = CliRunner()

    def invoke(self, *args: str) -> Result:
        return self.runner.invoke(self.group, list(args), catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self.invoke(*args)
        assert result.exit_code == 0, result.stderr + result.stdout
        return json.loads(result.stdout)


def write_layer(session: Session, layer: str, frame: gpd.GeoDataFrame, name: str = "test.geojson") -> int:
    return write_version(session, LAYERS[layer], frame, ImportMeta(file_name=name, created_by="test"))


def small_city(session: Session) -> None:
    """One precinct P1, districts D1 (west, officer 王警官) and D2 (east, officer 李警官), grids G01–G04."""
    west, east = box(114.76, 37.74, 114.77, 37.76), box(114.77, 37.74, 114.78, 37.76)
    precinct = box(114.76, 37.74, 114.78, 37.76)
    write_layer(
        session, "precincts", gpd.GeoDataFrame({"code": ["P1"], "name": ["城关派出所"]}, geometry=[precinct], crs=4326)
    )
    districts = gpd.GeoDataFrame(
        {
            "code": ["D1", "D2"],
            "name": ["西区", "东区"],
            "precinct_code": ["P1", "P1"],
            "officer": ["王警官", "李警官"],
        },
        geometry=[west, east],
        crs=4326,
    )
    write_layer(session, "districts", districts)
    codes = list(GRID_BOXES)
    grids = gpd.GeoDataFrame(
        {"code": codes, "name": [f"网格{c}" for c in codes], "district_code": [GRID_DISTRICT[c] for c in codes],
         "precinct_code": ["P1"] * 4, "grid_worker": [f"网格员{c[-1]}" for c in codes]},
        geometry=list(GRID_BOXES.values()),
        crs=4326,
    )  # fmt: skip
    write_layer(session, "grids", grids)
    session.commit()


def load(session: Session, layer: str, path: Path, **options: Any) -> dict[str, Any]:
    return import_points(session, layer, path, ImportOptions(user="test", **options))
