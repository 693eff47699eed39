"""``jingwang import``, ``jingwang versions`` and ``jingwang revert``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from api.commands import emit
from api.db import get_session
from api.services import versions
from api.services.imports import import_file
from api.services.options import IMPORT_LAYERS, ImportOptions
from geo.crs import COORD_SYSTEMS

__all__ = ["register"]


def _stderr_progress() -> Any:
    start = time.monotonic()

    def show(stage: str) -> None:
        click.echo(f"[{time.monotonic() - start:6.1f}s] {stage} …", err=True)

    return show


@click.command("import")
@click.argument("layer", type=click.Choice(IMPORT_LAYERS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code-field", help="Column holding the code (else recognised by name).")
@click.option("--name-field", help="Column holding the name.")
@click.option("--parent-field", help="Column holding the parent's code (a district's precinct, a grid's district).")
@click.option("--layer", "source_layer", help="Layer inside a GeoPackage/KML that holds several.")
@click.option("--crs", help="Coordinate system of the file when it has none or a wrong one, e.g. EPSG:4490.")
@click.option("--encoding", help="Text encoding of the attributes, e.g. GBK (else .cpg, UTF-8, then GB18030).")
@click.option("--coords", type=click.Choice(COORD_SYSTEMS), default="wgs84", show_default=True)
@click.option("--mode", type=click.Choice(["replace", "append"]), default="replace", show_default=True)
@click.option("--precinct", help="Replace only within this precinct.")
@click.option("--user", default="cli", show_default=True, help="Recorded as who imported.")
@click.option(
    "--history",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Hazards only: the ledger's earlier steps, one row per change (hazard_code, seq, from_state, to_state, "
    "actor, at, note).",
)
@click.option("--json", "as_json", is_flag=True, help="Write the summary as one JSON document to stdout.")
def import_command(layer: str, file: Path, source_layer: str | None, as_json: bool, **opts: Any) -> None:
    """Import FILE as the new version of LAYER (all or nothing)."""
    options = ImportOptions(layer=source_layer, **opts)
    summary = import_file(get_session(), layer, file, options, _stderr_progress())
    for warning in summary.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit(summary, True)
        return
    counts = summary.get("counts", {})
    click.echo(f"imported {layer} from {file.name}: import {summary.get('import_id')}")
    for key, value in counts.items():
        click.echo(f"  {key}: {value}")
    if summary.get("fields"):
        click.echo(f"  fields: {summary['fields']}")


@click.command("versions")
@click.option("--layer", type=click.Choice(IMPORT_LAYERS))
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def versions_command(layer: str | None, limit: int, as_json: bool) -> None:
    """List imports, reverts and applied proposals, newest first."""
    rows = versions.list_imports(get_session(), layer, limit)
    if as_json:
        emit({"imports": rows}, True)
        return
    for r in rows:
        features = (r["counts"] or {}).get("features", "")
        when = r["created_at"].strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{r['id']:>5}  {when}  {r['layer']:<10} {r['mode']:<8} {features!s:>6}  {r['file_name']}")


@click.command("revert")
@click.argument("import_id", type=int)
@click.option("--user", default="cli", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def revert_command(import_id: int, user: str, as_json: bool) -> None:
    """Bring a layer back to how it stood right after IMPORT_ID (a new version; nothing is deleted)."""
    result = versions.revert(get_session(), import_id, user)
    emit(result, as_json)


def register(cli: click.Group) -> None:
    for command in (import_command, versions_command, revert_command):
        cli.add_command(command)
