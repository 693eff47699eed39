"""Demo accounts for ``jingwang demo``: one per role, the precinct ones on the first demo precinct.

Passwords are generated once, stored hashed, and written to ``$JINGWANG_HOME/demo-users.txt`` (mode 600) so that
a second ``make demo`` prints the same ones. When the file no longer matches the database (another database, a
changed password), the demo passwords are reset and the file rewritten.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import users
from api.auth.passwords import generate_password, verify_password

__all__ = ["DEMO_ROLES", "ensure_demo_users"]

DEMO_ROLES = (("demo-admin", "admin"), ("demo-analyst", "analyst"), ("demo-precinct", "precinct"),
              ("demo-viewer", "viewer"))  # fmt: skip
FILE_NAME = "demo-users.txt"


def _read(path: Path) -> dict[str, tuple[str, str, str]]:
    rows: dict[str, tuple[str, str, str]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) == 4:
                rows[parts[0]] = (parts[1], parts[2], parts[3])
    return rows


def _still_valid(session: Session, saved: dict[str, tuple[str, str, str]]) -> bool:
    for name, _role in DEMO_ROLES:
        stored = session.scalar(
            text("SELECT password_hash FROM app_user WHERE name = :n AND NOT disabled"), {"n": name}
        )
        if name not in saved or not verify_password(stored, saved[name][2]):
            return False
    return True


def _write(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("name\trole\tprecinct\tpassword\n")
        f.writelines("\t".join(row) + "\n" for row in rows)
    path.chmod(0o600)


def ensure_demo_users(session: Session, home: Path) -> list[tuple[str, str, str, str]]:
    """(name, role, precinct, password) of each demo user, creating or resetting them as needed; commits."""
    path = home / FILE_NAME
    saved = _read(path)
    if _still_valid(session, saved):
        return [(name, *saved[name]) for name, _role in DEMO_ROLES]
    precinct = session.scalar(text("SELECT min(code) FROM precinct WHERE valid_to IS NULL"))
    rows = []
    for name, role in DEMO_ROLES:
        scoped = precinct if role in users.SCOPED_ROLES else None
        password = generate_password()
        exists = session.scalar(text("SELECT 1 FROM app_user WHERE name = :n"), {"n": name})
        if exists:
            session.execute(text("UPDATE app_user SET disabled = false WHERE name = :n"), {"n": name})
            users.set_password(session, name, password)
        elif scoped or role not in users.SCOPED_ROLES:
            users.add_user(session, name, role, scoped, password)
        else:
            continue  # no precinct loaded: no precinct-bound demo user
        rows.append((name, role, scoped or "-", password))
    _write(path, rows)
    return rows
