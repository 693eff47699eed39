"""``jingwang export LAYER --format gpkg|shp|kml|geojson -o FILE [--as-of DATE] [--precinct CODE]``."""

from __future__ import annotations

from pathlib import Path

import click

from api.db import get_session
from api.params import parse_time
from api.services.export import EXPORT_LAYERS, export_layer
from geo.export import ENCODINGS, FORMATS

__all__ = ["register", "export_command"]

_BY_SUFFIX = {".gpkg": "gpkg", ".zip": "shp", ".shp": "shp", ".kml": "kml", ".geojson": "geojson", ".json": "geojson"}


@click.command("export")
@click.argument("layer", type=click.Choice(EXPORT_LAYERS))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), help="Default: from the suffix of -o.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option("--as-of", "as_of", help="The layer as it stood then (ISO date or date-time); default: now.")
@click.option("--precinct", help="Only this precinct's features.")
@click.option(
    "--encoding",
    type=click.Choice(ENCODINGS, case_sensitive=False),
    default="UTF-8",
    show_default=True,
    help="Text encoding of a Shapefile (GBK for older desktop tools).",
)
def export_command(
    layer: str, fmt: str | None, output: Path, as_of: str | None, precinct: str | None, encoding: str
) -> None:
    """Write LAYER as GeoPackage, zipped Shapefile (.prj, .cpg), KML or GeoJSON; the file appears whole."""
    fmt = fmt or _BY_SUFFIX.get(output.suffix.lower())
    if fmt is None:
        raise click.UsageError(f"cannot tell the format from {output.name!r}: pass --format")
    if fmt == "shp" and output.suffix.lower() == ".shp":
        output = output.with_name(output.name + ".zip")  # a Shapefile is several files: always zipped
    result = export_layer(
        get_session(), layer, fmt, output, as_of=parse_time(as_of, "--as-of"), precinct=precinct, encoding=encoding
    )
    click.echo(f"{layer}: {result.features} features written to {result.path} ({fmt})", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(export_command)
