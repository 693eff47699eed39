"""The history of each layer: every import, revert and applied proposal, and going back to one of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from api.auth import audit
from api.errors import BadRequest, NotFound
from api.layers import LAYERS
from api.scope import check_write, scope_precinct
from api.services.points import relocate_all

__all__ = ["list_imports", "revert"]


def list_imports(session: Session, layer: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first: id, layer, mode, file, sha256, CRS in, encoding, counts, repairs, warnings, who, when."""
    rows = session.execute(
        text(
            """
            SELECT id, layer, mode, precinct_scope, file_name, sha256, crs_in, encoding, counts, repairs,
                   warnings, created_by, created_at
            FROM boundary_import WHERE (CAST(:layer AS text) IS NULL OR layer = :layer)
              AND (CAST(:scope AS text) IS NULL OR precinct_scope = :scope)
            ORDER BY id DESC LIMIT :limit
            """
        ),
        {"layer": layer, "limit": limit, "scope": scope_precinct()},
    ).mappings()
    return [dict(row) for row in rows]


def revert(session: Session, import_id: int, user: str = "system") -> dict[str, Any]:
    """Make the layer's rows as they stood right after import ``import_id`` current again, as a new version.

    Nothing is deleted: the current rows are closed and copies of the old rows opened, recorded as an import
    of mode ``revert``. Commits.
    """
    target = session.execute(
        text("SELECT id, layer, created_at FROM boundary_import WHERE id = :i"), {"i": import_id}
    ).first()
    if target is None:
        raise NotFound(f"no import with id {import_id}: see `jingwang versions`")
    check_write(None)  # a revert rewrites the whole layer: every precinct
    if target.layer not in LAYERS:
        raise BadRequest(f"import {import_id} loaded {target.layer}, which has no versions to go back to")
    layer = LAYERS[target.layer]
    at: datetime = target.created_at
    new_id = int(
        session.scalar(
            text(
                "INSERT INTO boundary_import (layer, mode, file_name, counts, created_by, created_at)"
                " VALUES (:l, 'revert', :f, :c, :u, clock_timestamp()) RETURNING id"
            ).bindparams(bindparam("c", type_=JSONB)),
            {
                "l": layer.name,
                "f": f"revert to import {import_id}",
                "c": {"reverted_to": import_id},
                "u": user,
            },
        )
    )
    stamp = "(SELECT created_at FROM boundary_import WHERE id = :new)"
    closed = session.execute(
        text(f"UPDATE {layer.table} SET valid_to = {stamp} WHERE valid_to IS NULL"), {"new": new_id}
    ).rowcount  # type: ignore[attr-defined]
    cols = ", ".join(["code", "name", *layer.columns, "attributes", "geom"])
    opened = session.execute(
        text(
            f"INSERT INTO {layer.table} ({cols}, import_id, valid_from) SELECT {cols}, :new, {stamp} FROM {layer.table}"
            " WHERE valid_from <= :at AND (valid_to IS NULL OR valid_to > :at) AND import_id <> :new"
        ),
        {"new": new_id, "at": at},
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        text(
            "UPDATE boundary_import SET counts = counts || jsonb_build_object('features', :n, 'closed', :c)"
            " WHERE id = :i"
        ),
        {"n": opened, "c": closed, "i": new_id},
    )
    relocate_all(session)
    audit.record(session, "revert", f"import {import_id}", {"layer": layer.name, "new_import": new_id})
    session.commit()
    return {
        "layer": layer.name,
        "import_id": new_id,
        "reverted_to": import_id,
        "features": opened,
        "closed": closed,
    }
