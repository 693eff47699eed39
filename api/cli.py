"""The ``jingwang`` command line. Every command runs inside the Flask app context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from sqlalchemy import create_engine, text

from api import create_app
from api.cluster import Cluster
from api.db import ensure_postgis, get_engine, get_session, upgrade
from api.errors import JingwangError
from geo.errors import GeoError

__all__ = ["cli", "main"]


class _Group(click.Group):
    """Turns domain errors into one clear line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (JingwangError, GeoError) as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """警网 jingwang — precincts, police districts and community grids in PostGIS."""
    app = ctx.obj if isinstance(ctx.obj, Flask) else create_app()
    ctx.obj = app
    ctx.with_resource(app.app_context())


def _emit(doc: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, default=str))
    else:
        for key, value in doc.items():
            click.echo(f"{key}: {value}")


@cli.group()
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
    _emit(doc, as_json)


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


@cli.command()
@click.option("--path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
def demo(path: Path | None) -> None:
    """Load the demo city (赵县) from data/boundaries into the store."""
    from api.services.demo import DEMO_DIR, load_demo

    load_demo(get_session(), path or DEMO_DIR, log=lambda line: click.echo(line, err=True))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web map and the API."""
    from waitress import serve as waitress_serve

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    get_engine(app)  # start and migrate before the first request
    click.echo(f"jingwang serving on http://{host}:{port}/  (Ctrl+C to stop)", err=True)
    waitress_serve(app, host=host, port=port, threads=threads)


def main() -> None:
    cli(prog_name="jingwang")


if __name__ == "__main__":
    main()
