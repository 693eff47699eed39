"""``jingwang coverage`` and ``jingwang hazards list|show|move|ledger|sla``: day-to-day operations."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from api.commands import emit
from api.db import get_session
from geo.coverage import DEFAULT_RADIUS_M
from geo.times import parse_instant

__all__ = ["register", "coverage", "hazards"]


def _instant(value: str | None, tz: str | None) -> datetime | None:
    return parse_instant(value, tz) if value else None


def _summary(doc: dict[str, Any]) -> None:
    click.echo(f"coverage {doc['from']} → {doc['to']}, radius {doc['radius_m']} m, {doc['fixes']} fixes")
    click.echo(f"{'precinct':<16}{'grids':>7}{'coverage':>10}{'min':>8}{'not patrolled':>15}")
    for p in doc["precincts"]:
        click.echo(
            f"{p['code']:<16}{p['grids']:>7}{p['coverage']:>10.1%}{p['min_coverage']:>8.1%}"
            f"{p['grids_not_patrolled']:>15}"
        )
    if "idle_grids" in doc:
        click.echo(f"grids not patrolled for {doc['idle_hours']} h: {len(doc['idle_grids'])}")


@click.command("coverage")
@click.option("--from", "start", help="Window start, ISO (naive = --tz). Default: 24 h before --to.")
@click.option("--to", "end", help="Window end (exclusive), ISO. Default: now.")
@click.option("--radius", default=DEFAULT_RADIUS_M, show_default=True, type=float, help="Metres around tracks.")
@click.option("--precinct", default=None, help="Only the grids of this precinct.")
@click.option("--idle-hours", type=float, default=None, help="Also list grids with no fix for this many hours.")
@click.option("--tz", default=None, help="Zone of naive times and of the output (default Asia/Shanghai).")
@click.option("--json", "as_json", is_flag=True, help="Write one JSON document to stdout.")
def coverage(start: str | None, end: str | None, radius: float, precinct: str | None, idle_hours: float | None,
             tz: str | None, as_json: bool) -> None:  # fmt: skip
    """Patrol coverage per grid, district and precinct over a time window."""
    from api.services.coverage import coverage_document

    stop = _instant(end, tz) or datetime.now(timezone.utc)
    begin = _instant(start, tz) or stop - timedelta(hours=24)
    doc = coverage_document(get_session(), begin, stop, radius, precinct, idle_hours, tz)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False))
    else:
        _summary(doc)


@click.group("hazards")
def hazards() -> None:
    """Hazards: list, show, move through the lifecycle, export the ledger, the SLA."""


@hazards.command("list")
@click.option("--state", default=None, help="A state, or 'open'.")
@click.option("--precinct", default=None)
@click.option("--overdue", is_flag=True, help="Only overdue hazards.")
@click.option("--json", "as_json", is_flag=True)
def hazards_list(state: str | None, precinct: str | None, overdue: bool, as_json: bool) -> None:
    """Hazards, newest first."""
    from api.services.hazard_queries import list_hazards

    items = list_hazards(get_session(), state=state, precinct=precinct, overdue=True if overdue else None)
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False))
        return
    for h in items:
        flag = " OVERDUE" if h["overdue"] else ""
        click.echo(f"{h['code']}  {h['state']:<10} {h['grid_code'] or '-':<12} {h['title']}{flag}")


@hazards.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
def hazards_show(code: str, as_json: bool) -> None:
    """One hazard with its events."""
    from api.services.hazard_queries import get_hazard

    emit(get_hazard(get_session(), code), as_json)


@hazards.command("move")
@click.argument("code")
@click.argument("to")
@click.option("--note", default=None)
@click.option("--actor", default=None)
@click.option("--assignee", default=None, help="Who handles it (when dispatching).")
@click.option("--json", "as_json", is_flag=True)
def hazards_move(code: str, to: str, note: str | None, actor: str | None, assignee: str | None,
                 as_json: bool) -> None:  # fmt: skip
    """Move hazard CODE to state TO (assessed, dispatched, resolved, closed, rejected)."""
    from api.services.hazards import Conflict, transition

    try:
        doc = transition(get_session(), code, to, actor=actor, note=note, assignee=assignee)
    except Conflict as exc:
        allowed = ", ".join(exc.details.get("allowed", [])) or "nothing"
        raise click.ClickException(f"{exc.message} (allowed: {allowed})") from None
    emit({"code": doc["code"], "state": doc["state"], "allowed": doc["allowed"]}, as_json)


@hazards.command("ledger")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--precinct", default=None)
def hazards_ledger(output: Path, precinct: str | None) -> None:
    """Write the ledger (问题清单 / 任务清单 / 效果清单) as an Excel workbook."""
    from api.services.ledger import ledger_workbook

    output.write_bytes(ledger_workbook(get_session(), precinct=precinct))
    click.echo(f"wrote {output}", err=True)


@hazards.command("sla")
@click.argument("severity", type=int, required=False)
@click.argument("hours", type=float, required=False)
@click.option("--user", default="cli")
def hazards_sla(severity: int | None, hours: float | None, user: str) -> None:
    """Show the hours allowed per severity, or set SEVERITY to HOURS."""
    from api.services.settings import get_setting, set_setting

    table = get_setting(get_session(), "hazard_sla_hours")
    if severity is not None:
        if hours is None:
            raise click.UsageError("give the hours too: jingwang hazards sla 3 24")
        table = set_setting(get_session(), "hazard_sla_hours", {**table, str(severity): hours}, user)
    for key in sorted(table, key=int):
        click.echo(f"severity {key}: {table[key]:g} h")


def register(cli: click.Group) -> None:
    """Add ``coverage`` and ``hazards`` to the ``jingwang`` group."""
    cli.add_command(coverage)
    cli.add_command(hazards)
