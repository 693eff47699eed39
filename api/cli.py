"""The ``jingwang`` command line. Every command runs inside the Flask app context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app

from api import create_app
from api.config import DEFAULT_SECRET
from api.db import get_engine, get_session
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
    app = ctx.obj if isinstance(ctx.obj, Flask) else create_app(serving=False)
    ctx.obj = app
    ctx.with_resource(app.app_context())


@cli.command()
@click.option("--path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
def demo(path: Path | None) -> None:
    """Load the demo city (赵县) from data/boundaries into the store."""
    from api.services.demo import DEMO_DIR, load_demo

    load_demo(get_session(), path or DEMO_DIR, log=lambda line: click.echo(line, err=True))
    from api.services.demo_users import ensure_demo_users

    home = Path(current_app.config["JINGWANG_HOME"])
    click.echo(f"demo users (also in {home / 'demo-users.txt'}):")
    for name, role, precinct, password in ensure_demo_users(get_session(), home):
        click.echo(f"  {name:<14} {role:<9} {precinct:<11} {password}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web map and the API."""
    from waitress import serve as waitress_serve

    from api.auth.hardening import check_production, home_secret_key

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["SECRET_KEY"] == DEFAULT_SECRET:
        app.config["SECRET_KEY"] = home_secret_key(Path(app.config["JINGWANG_HOME"]))
    check_production(app)
    get_engine(app)  # start and migrate before the first request
    click.echo(f"jingwang serving on http://{host}:{port}/  (Ctrl+C to stop)", err=True)
    waitress_serve(app, host=host, port=port, threads=threads)


def _register() -> None:
    from api.commands import align, db, export, imports, ops, report, users

    cli.add_command(db.db)
    cli.add_command(users.users)
    imports.register(cli)
    align.register(cli)
    ops.register(cli)
    report.register(cli)
    export.register(cli)


_register()


def main() -> None:
    cli(prog_name="jingwang")


if __name__ == "__main__":
    main()
