"""``jingwang report``: the coverage report as XLSX, CSV, PDF or GeoJSON, written atomically to a file."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import click

from api.db import get_session
from api.params import parse_time

__all__ = ["register", "report"]


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: a failure leaves no half-written report."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command("report")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "pdf", "geojson"]), required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--precinct", default=None, help="Only this precinct (code). Default: the whole city.")
@click.option("--from", "start", default=None, help="Window start, ISO date or time. Default: 7 days before --to.")
@click.option("--to", "end", default=None, help="Window end (exclusive). Default: the day after the last patrol.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Headers and words.")
@click.option("--tz", default=None, help="Zone of the times written (default Asia/Shanghai).")
def report(fmt: str, output: Path, precinct: str | None, start: str | None, end: str | None, lang: str,
           tz: str | None) -> None:  # fmt: skip
    """Coverage report per grid, district and precinct: alignment, patrol coverage, hazards, staffing."""
    from api.services.reports import STAGES, build_report, default_window, render

    if not output.parent.is_dir():
        raise click.BadParameter(f"folder {output.parent} does not exist", param_hint="-o")
    session = get_session()
    stop = parse_time(end, "--to") or default_window(session, tz)[1]
    begin = parse_time(start, "--from") or stop - timedelta(days=7)
    with click.progressbar(length=len(STAGES) + 1, label="report", file=sys.stderr,
                           item_show_func=lambda s: s) as bar:  # fmt: skip
        model = build_report(session, begin, stop, precinct=precinct, timezone_name=tz,
                             progress=lambda stage: bar.update(1, stage))  # fmt: skip
        bar.update(0, f"writing {fmt}")
        data = render(model, fmt, lang)
        bar.update(1, "done")
    _write_atomically(output, data)
    meta = model.meta
    click.echo(
        f"wrote {output} ({len(data):,} bytes): {len(model.grids)} grids, {meta['from']} → {meta['to']},"
        f" sha256 {meta['hash'][:12]}",
        err=True,
    )


def register(cli: click.Group) -> None:
    """Add ``report`` to the ``jingwang`` group."""
    cli.add_command(report)
