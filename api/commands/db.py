"""``jingwang db start|stop|status|upgrade``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from sqlalchemy import create_engine, text

from api.cluster import Cluster
from api.commands import emit
from api.db import ensure_postgis, get_engine, upgrade


@click.group()
def db() -> None:
    """Database: start, stop, status, upgrade."""


def _cluster() -> Cluster | None:
    if current_app.config.get("DATABASE_URL"):
        return None
    return Cluster(Path(current_app.config["JINGWANG_HOME"]))


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Write one JSON document to stdout.")
def db_status(as_json: bool) -> None:
    """Where the database is and whether it answers."""
    cluster = _cluster()
    doc: dict[str, Any] = {"embedded": cluster is not None}
    if cluster is not None:
        doc.update(cluster.status())
        reachable = bool(doc["running"])
    else:
        doc["url"] = create_engine(current_app.config["DATABASE_URL"]).url.render_as_string()
        reachable = True
    if reachable:
        engine = get_engine()
        with engine.connect() as conn:
            doc["postgresql"] = conn.scalar(text("SHOW server_version"))
            doc["postgis"] = conn.scalar(text("SELECT postgis_lib_version()"))
            doc["revision"] = conn.scalar(text("SELECT version_num FROM alembic_version"))
    emit(doc, as_json)


@db.command("start")
def db_start() -> None:
    """Create (on first use) and start the embedded cluster, then migrate."""
    cluster = _cluster()
    if cluster is None:
        raise click.ClickException("JINGWANG_DATABASE_URL is set: the external server is not managed here")
    started = cluster.start()
    get_engine()  # creates the database, enables PostGIS, applies migrations
    click.echo(f"{'started' if started else 'already running'}: {cluster.rundir}", err=True)


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster."""
    cluster = _cluster()
    if cluster is None:
        raise click.ClickException("JINGWANG_DATABASE_URL is set: the external server is not managed here")
    stopped = cluster.stop()
    click.echo("stopped" if stopped else "not running", err=True)


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (PostGIS >= 3.3 checked first)."""
    with get_engine().begin() as conn:
        ensure_postgis(conn)
        upgrade(conn)
        revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    click.echo(f"schema at revision {revision}", err=True)
