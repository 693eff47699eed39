"""The audit log: who did what, when. Rows are written in the caller's transaction (an action that is rolled back
leaves no audit row), except logins, which commit their own row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

__all__ = ["actor", "record", "list_audit"]


def actor() -> str:
    """The name of who acts: the signed-in user, ``anonymous`` in a request without one, else ``cli``."""
    if not has_request_context():
        return "cli"
    user = g.get("user")
    return user.name if user is not None else "anonymous"


def record(
    session: Session, action: str, target: str | None = None, details: dict[str, Any] | None = None,
    user: str | None = None,
) -> None:  # fmt: skip
    """Add one row; does not commit."""
    session.execute(
        text("INSERT INTO audit_log (user_name, action, target, details) VALUES (:u, :a, :t, :d)").bindparams(
            bindparam("d", type_=JSONB)
        ),
        {"u": user or actor(), "a": action, "t": target, "d": details or {}},
    )


def list_audit(
    session: Session, *, action: str | None = None, user: str | None = None, since: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:  # fmt: skip
    """Newest first, optionally of one action (prefix, e.g. ``login``) or one user."""
    rows = session.execute(
        text(
            """
            SELECT id, at, user_name, action, target, details FROM audit_log
            WHERE (CAST(:a AS text) IS NULL OR action LIKE :a || '%')
              AND (CAST(:u AS text) IS NULL OR user_name = :u)
              AND (CAST(:s AS timestamptz) IS NULL OR at >= :s)
            ORDER BY id DESC LIMIT :limit
            """
        ),
        {"a": action, "u": user, "s": since, "limit": limit},
    ).mappings()
    return [{**row, "at": row["at"].isoformat()} for row in rows]
