"""The fixed registry of boundary layers. Table and column names come from here, never from a request."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Layer", "LAYERS", "get_layer"]


@dataclass(frozen=True)
class Layer:
    name: str  # as in URLs and the CLI: "grids"
    table: str
    label_zh: str
    columns: dict[str, str] = field(default_factory=dict)  # typed column -> SQL type
    filters: dict[str, str] = field(default_factory=dict)  # query parameter -> column
    parent: str | None = None  # layer whose code ``parent_column`` holds
    parent_column: str | None = None


LAYERS: dict[str, Layer] = {
    "precincts": Layer("precincts", "precinct", "派出所"),
    "districts": Layer(
        "districts",
        "district",
        "警务区",
        columns={"precinct_code": "text", "officer": "text", "auxiliaries": "integer"},
        filters={"precinct": "precinct_code"},
        parent="precincts",
        parent_column="precinct_code",
    ),
    "grids": Layer(
        "grids",
        "grid",
        "网格",
        columns={
            "district_code": "text",
            "precinct_code": "text",
            "community": "text",
            "township": "text",
            "households": "integer",
            "population": "integer",
            "grid_worker": "text",
        },
        filters={"precinct": "precinct_code", "district": "district_code"},
        parent="districts",
        parent_column="district_code",
    ),
}


def get_layer(name: str) -> Layer:
    from api.errors import NotFound

    try:
        return LAYERS[name]
    except KeyError:
        raise NotFound(f"unknown layer {name!r}: use one of {', '.join(LAYERS)}") from None
