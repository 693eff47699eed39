"""The fixed registry of feature sources that the OGC API and the exports publish.

Table, column and SQL names come from here, never from a request: a query parameter is only ever looked up in
:attr:`Source.queryables` and its value bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Source", "SOURCES", "FINDINGS", "get_source"]

_BOUNDARY_PROPS = "t.attributes || (to_jsonb(t) - 'geom' - 'geom_3857' - 'geom_z12' - 'geom_z13' - 'attributes' - 'id')"
_POINT_PROPS = "t.attributes || (to_jsonb(t) - 'geom' - 'attributes' - 'id')"


@dataclass(frozen=True)
class Source:
    id: str  # as in URLs and the CLI: "grids", "key-places"
    title: str
    title_zh: str
    geometry: str  # GeoJSON type of the features, for clients that ask before reading
    table: str = ""  # empty for the alignment findings, which are computed
    fid: str = "t.code"  # SQL of the feature id
    props: str = _BOUNDARY_PROPS  # SQL of the properties (jsonb)
    order: str = "t.code"
    precinct: str = "t.precinct_code"  # column that scopes a feature to a precinct
    time: str | None = None  # "versions" (valid_from/valid_to) or the timestamp column
    queryables: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (SQL, "string"|"integer")
    tiles: bool = False  # served as vector tiles at /tiles/{id}/{z}/{x}/{y}.pbf

    @property
    def versioned(self) -> bool:
        return self.time == "versions"


def _q(**columns: str) -> dict[str, tuple[str, str]]:
    """Queryables: ``name="column"`` for text, ``name="column:integer"`` for whole numbers."""
    out = {}
    for name, spec in columns.items():
        column, _, kind = spec.partition(":")
        out[name] = (f"t.{column}", kind or "string")
    return out


_LOCATED = {"precinct": "precinct_code", "district": "district_code", "grid": "grid_code"}

SOURCES: dict[str, Source] = {
    s.id: s
    for s in (
        Source("precincts", "Police precincts", "派出所辖区", "MultiPolygon", "precinct", precinct="t.code",
               time="versions", queryables=_q(code="code", name="name"), tiles=True),
        Source("districts", "Police districts", "警务区", "MultiPolygon", "district", time="versions",
               queryables=_q(code="code", name="name", precinct="precinct_code", officer="officer"), tiles=True),
        Source("grids", "Community grids", "社区网格", "MultiPolygon", "grid", time="versions",
               queryables=_q(code="code", name="name", precinct="precinct_code", district="district_code",
                             community="community", township="township", grid_worker="grid_worker"),
               tiles=True),
        Source("key-places", "Key places", "重点场所", "Point", "key_place",
               fid="coalesce(t.code, t.id::text)", props=_POINT_PROPS, order="t.code, t.id",
               queryables=_q(code="code", name="name", category="category", risk_level="risk_level:integer",
                             **_LOCATED)),
        Source("hazards", "Hazards", "安全隐患", "Point", "hazard", props="to_jsonb(t) - 'geom' - 'id'",
               order="t.reported_at DESC, t.code", time="t.reported_at",
               queryables=_q(code="code", state="state", category="category", severity="severity:integer",
                             **_LOCATED)),
        Source("incidents", "Incidents", "警情", "Point", "incident", fid="t.id::text", props=_POINT_PROPS,
               order="t.occurred_at DESC NULLS LAST, t.id", time="t.occurred_at",
               queryables=_q(code="code", type="type", **_LOCATED)),
        Source("split-grids", "Split grids", "被切分的网格", "MultiPolygon", time="versions",
               queryables=_q(code="code", owner="owner")),
        Source("gaps", "Gaps", "缝隙", "Polygon", time="versions", queryables=_q(level="level", precinct="precinct")),
        Source("overlaps", "Overlaps", "重叠", "Polygon", time="versions",
               queryables=_q(level="level", precinct="precinct")),
    )
}  # fmt: skip

# Computed by the alignment engine, not read from a table.
FINDINGS = ("split-grids", "gaps", "overlaps")


def get_source(name: str) -> Source:
    from api.errors import NotFound

    try:
        return SOURCES[name]
    except KeyError:
        raise NotFound(f"unknown collection {name!r}: use one of {', '.join(SOURCES)}") from None
