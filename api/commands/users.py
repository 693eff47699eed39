"""``jingwang users add|list|disable|token``: accounts, from the command line (which itself is unrestricted)."""

from __future__ import annotations

import sys

import click

from api.auth import users as service
from api.auth.passwords import generate_password
from api.commands import emit
from api.db import get_session

__all__ = ["users"]


@click.group()
def users() -> None:
    """Accounts: add, list, disable, and API tokens."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(service.ROLES), required=True)
@click.option("--precinct", help="The precinct a precinct or viewer user is limited to (required for them).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (else one is generated).")
@click.option("--token", "with_token", is_flag=True, help="Also make an API token: the last line printed.")
def add(name: str, role: str, precinct: str | None, password_stdin: bool, with_token: bool) -> None:
    """Add user NAME with ROLE; prints the generated password (and a new API token with --token)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    session = get_session()
    user = service.add_user(session, name, role, precinct, password)
    click.echo(f"added {user.name}: {user.role}" + (f" of precinct {user.precinct}" if user.precinct else ""))
    if not password_stdin:
        click.echo(f"password: {password}")
    if with_token:
        click.echo(service.new_token(session, name))


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json: bool) -> None:
    """Every user with role, precinct, state and number of live tokens."""
    rows = service.list_users(get_session())
    if as_json:
        emit({"users": rows}, True)
        return
    click.echo(f"{'name':<20} {'role':<9} {'precinct':<12} {'state':<9} tokens")
    for r in rows:
        state = "disabled" if r["disabled"] else "locked" if r["locked"] else "active"
        click.echo(f"{r['name']:<20} {r['role']:<9} {r['precinct'] or '-':<12} {state:<9} {r['tokens']}")


@users.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Disable NAME: no more sign-ins, every token revoked."""
    service.disable_user(get_session(), name)
    click.echo(f"disabled {name}; its tokens are revoked")


@users.command("token")
@click.argument("name")
def token(name: str) -> None:
    """Print a new API token for NAME (shown once: only its hash is kept)."""
    click.echo(service.new_token(get_session(), name))


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (else one is generated).")
def password(name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (and lift a lockout); prints it when generated."""
    value = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    service.set_password(get_session(), name, value)
    click.echo(f"password of {name} changed" + ("" if password_stdin else f": {value}"))
