"""Engine and session handling: one engine per app, one session per request on ``g``.

With no ``JINGWANG_DATABASE_URL`` the embedded cluster is started on first use, its database created, PostGIS
enabled and migrations applied. With an external URL, PostGIS >= 3.3 is checked when the engine is first made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.cluster import DB_NAME, Cluster
from api.errors import DatabaseError

__all__ = [
    "init_app",
    "get_engine",
    "get_session",
    "ensure_database",
    "ensure_postgis",
    "upgrade",
    "alembic_config",
    "MIN_POSTGIS",
    "copy_rows",
]

MIN_POSTGIS = (3, 3)
# A request while the server is down fails fast (503) instead of waiting on TCP; pre-ping replaces the
# connections a restart has broken.
ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}}
_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Apply migrations on ``conn`` (inside its transaction)."""
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def downgrade(conn: Connection, revision: str = "base") -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, revision)


def ensure_database(server_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``server_url`` when it does not exist."""
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=None)
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                # Identifiers cannot be bound; the name comes from code, never from a request.
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def ensure_postgis(conn: Connection) -> str:
    """Enable PostGIS in the current database and check its version; return the version string."""
    available = conn.scalar(text("SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'"))
    if available is None:
        major = conn.scalar(text("SHOW server_version_num")) or "150000"
        raise DatabaseError(
            "PostGIS is not installed on this PostgreSQL server: "
            f"apt-get install postgresql-{int(major) // 10000}-postgis-3"
        )
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    version = str(conn.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")))
    numbers = tuple(int(p) for p in version.split(".")[:2])
    if numbers < MIN_POSTGIS:
        raise DatabaseError(f"PostGIS {version} is too old: jingwang needs PostGIS >= 3.3")
    return version


def _make_engine(app: Flask) -> Engine:
    url = app.config.get("DATABASE_URL")
    if url:
        engine = create_engine(url, **ENGINE_OPTIONS)
        try:
            with engine.begin() as conn:
                ensure_postgis(conn)
        except OperationalError as exc:
            raise DatabaseError(f"cannot reach the database: {exc.orig}") from exc
        return engine
    cluster = Cluster(Path(app.config["JINGWANG_HOME"]))
    cluster.start()
    ensure_database(cluster.url(), DB_NAME)
    engine = create_engine(cluster.url(), **ENGINE_OPTIONS)
    with engine.begin() as conn:
        ensure_postgis(conn)
        upgrade(conn)
    return engine


def get_engine(app: Flask | None = None) -> Engine:
    """The app's engine, made (and for the embedded cluster, started) on first use."""
    app = app or current_app
    ext: dict[str, Any] = app.extensions.setdefault("jingwang", {})
    if "engine" not in ext:
        ext["engine"] = _make_engine(app)
    engine: Engine = ext["engine"]
    return engine


def get_session() -> Session:
    """The request's session; closed at teardown. Services decide when to commit."""
    if "db_session" not in g:
        ext = current_app.extensions.setdefault("jingwang", {})
        factory = ext.get("sessionmaker") or sessionmaker(bind=get_engine(), expire_on_commit=False)
        ext["sessionmaker"] = factory
        g.db_session = factory()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except (OperationalError, InterfaceError):
        # The server went away after the answer was made: nothing is left to roll back; drop the connection.
        session.invalidate()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_session)


def copy_rows(session: Session, table: str, columns: list[str], rows: Any) -> int:
    """Bulk-load ``rows`` (tuples of text-ready values) with COPY on the session's own connection.

    ``table`` and ``columns`` come from code, never from input. Returns the number of rows written.
    """
    raw = session.connection().connection.driver_connection
    assert raw is not None, "COPY needs an open psycopg connection"
    count = 0
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count
