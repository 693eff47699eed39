"""Accounts: add, list, disable, tokens, and signing in with lockout. Write functions commit; each change is
audited."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import audit
from api.auth.passwords import MIN_LENGTH, dummy_hash, hash_password, verify_password
from api.errors import BadRequest, JingwangError, NotFound

__all__ = [
    "ROLES",
    "User",
    "LoginFailed",
    "add_user",
    "list_users",
    "disable_user",
    "new_token",
    "set_password",
    "authenticate",
    "user_from_token",
    "user_by_id",
    "token_digest",
    "forget_recent",
]

ROLES = ("admin", "analyst", "precinct", "viewer")
SCOPED_ROLES = ("precinct", "viewer")
MAX_FAILURES = 5
LOCK_MINUTES = 15
TOKEN_PREFIX = "jw_"
_NAME = re.compile(r"^[\w.@-]{1,64}$")  # \w takes Chinese names too


@dataclass(frozen=True)
class User:
    """Who a request acts as (``g.user``); :mod:`api.scope` reads ``role`` and ``precinct``."""

    id: int
    name: str
    role: str
    precinct: str | None
    stamp: str  # changes with the password: a session signed before the change stops working


class LoginFailed(JingwangError):
    status = 401
    code = "login_failed"


_SELECT = "SELECT id, name, role, precinct, password_hash, disabled FROM app_user"

# Who a token or a session is, remembered for a few seconds: a map page asks for dozens of tiles at once, and
# each would otherwise cost a query. A change made here forgets at once; one made by another process (the CLI,
# another worker) is seen within RECENT_SECONDS.
RECENT_SECONDS = 10.0
_recent: dict[Any, tuple[float, User]] = {}
_recent_lock = threading.Lock()


def _remembered(key: Any) -> User | None:
    with _recent_lock:
        found = _recent.get(key)
    return found[1] if found is not None and found[0] > time.monotonic() else None


def _remember(key: Any, user: User) -> None:
    with _recent_lock:
        if len(_recent) > 10_000:
            _recent.clear()
        _recent[key] = (time.monotonic() + RECENT_SECONDS, user)


def forget_recent() -> None:
    """Drop every remembered identity (after a password change, a disabled user, a revoked token)."""
    with _recent_lock:
        _recent.clear()


def _stamp(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "-").encode()).hexdigest()[:16]


def _user(row: Any) -> User:
    return User(int(row.id), row.name, row.role, row.precinct, _stamp(row.password_hash))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_new(session: Session, name: str, role: str, precinct: str | None) -> None:
    if not _NAME.match(name):
        raise BadRequest(f"user name {name!r}: 1–64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if role in SCOPED_ROLES:
        if not precinct:
            raise BadRequest(f"role {role} needs --precinct CODE")
        if not session.scalar(text("SELECT 1 FROM precinct WHERE valid_to IS NULL AND code = :p"), {"p": precinct}):
            raise BadRequest(f"no current precinct with code {precinct!r}")
    elif precinct:
        raise BadRequest(f"role {role} sees every precinct: leave out --precinct")
    if session.scalar(text("SELECT 1 FROM app_user WHERE name = :n"), {"n": name}):
        raise BadRequest(f"user {name!r} exists already")


def add_user(session: Session, name: str, role: str, precinct: str | None = None, password: str | None = None) -> User:
    """Create a user (``password`` None: token-only); commit."""
    _check_new(session, name, role, precinct)
    if password is not None and len(password) < MIN_LENGTH:
        raise BadRequest(f"a password needs at least {MIN_LENGTH} characters")
    row = session.execute(
        text(
            "INSERT INTO app_user (name, role, precinct, password_hash) VALUES (:n, :r, :p, :h)"
            " RETURNING id, name, role, precinct, password_hash"
        ),
        {"n": name, "r": role, "p": precinct or None, "h": hash_password(password) if password else None},
    ).one()
    audit.record(session, "user.add", name, {"role": role, "precinct": precinct})
    session.commit()
    return _user(row)


def _find(session: Session, name: str) -> Any:
    row = session.execute(text(_SELECT + " WHERE name = :n"), {"n": name}).first()
    if row is None:
        raise NotFound(f"no user {name!r}")
    return row


def set_password(session: Session, name: str, password: str) -> None:
    """Set a new password and lift any lockout; sessions signed with the old one end. Commit."""
    if len(password) < MIN_LENGTH:
        raise BadRequest(f"a password needs at least {MIN_LENGTH} characters")
    row = _find(session, name)
    session.execute(
        text("UPDATE app_user SET password_hash = :h, failed_logins = 0, locked_until = NULL WHERE id = :i"),
        {"h": hash_password(password), "i": row.id},
    )
    audit.record(session, "user.password", name)
    session.commit()
    forget_recent()


def disable_user(session: Session, name: str) -> None:
    """Disable the user and revoke their tokens; commit."""
    row = _find(session, name)
    session.execute(text("UPDATE app_user SET disabled = true WHERE id = :i"), {"i": row.id})
    session.execute(text("UPDATE api_token SET revoked = true WHERE user_id = :i"), {"i": row.id})
    audit.record(session, "user.disable", name)
    session.commit()
    forget_recent()


def new_token(session: Session, name: str) -> str:
    """A new API token for ``name`` (shown once; only its sha256 is kept); commit."""
    row = _find(session, name)
    if row.disabled:
        raise BadRequest(f"user {name!r} is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.execute(
        text("INSERT INTO api_token (user_id, sha256) VALUES (:u, :s)"), {"u": row.id, "s": token_digest(token)}
    )
    audit.record(session, "user.token", name)
    session.commit()
    return token


def list_users(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            """
            SELECT u.name, u.role, u.precinct, u.disabled, u.created_at, u.locked_until > now() AS locked,
                   u.password_hash IS NOT NULL AS has_password,
                   (SELECT count(*) FROM api_token t WHERE t.user_id = u.id AND NOT t.revoked) AS tokens
            FROM app_user u ORDER BY u.name
            """
        )
    ).mappings()
    return [{**r, "locked": bool(r["locked"]), "created_at": r["created_at"].isoformat()} for r in rows]


def authenticate(session: Session, name: str, password: str) -> User:
    """The user when ``name`` and ``password`` match; else :class:`LoginFailed`, with the same message whether
    or not the user exists. After MAX_FAILURES failures in a row the account is locked for LOCK_MINUTES.
    Records the attempt in the audit log; commits."""
    row = session.execute(
        text(
            "SELECT id, name, role, precinct, password_hash, disabled, coalesce(locked_until > now(), false) AS locked"
            " FROM app_user WHERE name = :n"
        ),
        {"n": name},
    ).first()
    if row is not None and row.locked:
        verify_password(dummy_hash(), password)
        audit.record(session, "login.locked", name, user=name)
        session.commit()
        raise LoginFailed(f"too many failed sign-ins: try again in {LOCK_MINUTES} minutes", locked=True)
    ok = verify_password(row.password_hash if row is not None else dummy_hash(), password)
    if row is None or row.disabled or not ok:
        if row is not None:
            session.execute(
                text(
                    "UPDATE app_user SET failed_logins = failed_logins + 1, locked_until = CASE WHEN"
                    " failed_logins + 1 >= :max THEN now() + make_interval(mins => :mins) END WHERE id = :i"
                ),
                {"i": row.id, "max": MAX_FAILURES, "mins": LOCK_MINUTES},
            )
        audit.record(session, "login.failed", name, user=name)
        session.commit()
        raise LoginFailed("wrong user name or password")
    session.execute(text("UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = :i"), {"i": row.id})
    audit.record(session, "login", name, user=name)
    session.commit()
    return _user(row)


def user_from_token(session: Session, token: str) -> User | None:
    """The enabled user of a valid, unrevoked token; notes when it was last used (at most every 5 minutes)."""
    digest = token_digest(token)
    known = _remembered(("token", digest))
    if known is not None:
        return known
    row = session.execute(
        text(
            "SELECT u.id, u.name, u.role, u.precinct, u.password_hash, t.id AS token_id,"
            " t.last_used IS NULL OR t.last_used < now() - interval '5 minutes' AS stale"
            " FROM api_token t JOIN app_user u ON u.id = t.user_id"
            " WHERE t.sha256 = :s AND NOT t.revoked AND NOT u.disabled"
        ),
        {"s": digest},
    ).first()
    if row is None:
        return None
    if row.stale:
        session.execute(text("UPDATE api_token SET last_used = now() WHERE id = :i"), {"i": row.token_id})
        session.commit()
    user = _user(row)
    _remember(("token", digest), user)
    return user


def user_by_id(session: Session, user_id: int, stamp: str) -> User | None:
    """The enabled user ``user_id`` whose password is still the one ``stamp`` was made from."""
    known = _remembered(("session", user_id, stamp))
    if known is not None:
        return known
    row = session.execute(text(_SELECT + " WHERE id = :i AND NOT disabled"), {"i": user_id}).first()
    if row is None or _stamp(row.password_hash) != stamp:
        return None
    user = _user(row)
    _remember(("session", user_id, stamp), user)
    return user
