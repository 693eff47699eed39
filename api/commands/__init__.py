"""Sub-commands of ``jingwang``, one module per group; :mod:`api.cli` registers them."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["emit"]


def emit(doc: dict[str, Any], as_json: bool) -> None:
    """``--json``: one JSON document on stdout; otherwise ``key: value`` lines."""
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, default=str))
    else:
        for key, value in doc.items():
            click.echo(f"{key}: {value}")
