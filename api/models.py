"""Tables of the store (SQLAlchemy 2 typed models with GeoAlchemy2 geometry columns).

Boundaries are versioned: a row is current while ``valid_to`` is NULL; an import closes old rows and opens new
ones, never updating geometry in place. Geometry is always ``geom``, SRID 4326. Codes are text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "BoundaryImport",
    "Precinct",
    "District",
    "Grid",
    "KeyPlace",
    "PatrolFix",
    "Hazard",
    "HazardEvent",
    "Incident",
    "BOUNDARY_MODELS",
    "Setting",
    "AppUser",
    "ApiToken",
    "AuditLog",
]


def _geom(kind: str, nullable: bool = False) -> Mapped[Any]:
    return mapped_column(Geometry(kind, srid=4326, spatial_index=False), nullable=nullable)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB, list[Any]: JSONB}


class BoundaryImport(Base):
    """One import (or applied proposal, or revert) of one layer: the provenance of a boundary version."""

    __tablename__ = "boundary_import"
    __table_args__ = (Index("ix_boundary_import_layer", "layer", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16), server_default="replace")
    precinct_scope: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    crs_in: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    repairs: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    warnings: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    created_by: Mapped[str] = mapped_column(Text, server_default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def _tile_overview(zoom: int) -> Mapped[Any]:
    """A generated copy of the Web Mercator geometry simplified by a quarter pixel of ``zoom``'s tiles.

    The tolerance is exactly the one :func:`api.services.tiles.render` simplifies by at that zoom (4 of 4096 tile
    units: ``40075016.68557849 / 2**zoom / 1024`` m), so a tile of that zoom reads it without simplifying again.
    Plain ``GEOMETRY``: a simplified multipolygon is never refused for its type.
    """
    tolerance = 40075016.68557849 / 2**zoom / 4096 * 4
    return mapped_column(
        Geometry("GEOMETRY", srid=3857, spatial_index=False),
        Computed(f"ST_Simplify(ST_Transform(geom, 3857), {tolerance!r}, true)", persisted=True),
    )


class _Boundary:
    """Columns shared by the three boundary layers."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    geom: Mapped[WKBElement] = _geom("MULTIPOLYGON")
    # Web Mercator copy for vector tiles, kept by PostgreSQL itself.
    geom_3857: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=3857, spatial_index=False),
        Computed("ST_Transform(geom, 3857)", persisted=True),
    )
    # The same, simplified as the tiles of zoom 12 and 13 draw it (api.services.tiles): read as they are.
    geom_z12: Mapped[WKBElement | None] = _tile_overview(12)
    geom_z13: Mapped[WKBElement | None] = _tile_overview(13)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_import.id"))


def _boundary_indexes(table: str) -> tuple[Index, ...]:
    return (
        Index(f"ix_{table}_geom", "geom", postgresql_using="gist"),
        Index(f"ix_{table}_geom_3857", "geom_3857", postgresql_using="gist"),
        Index(f"ix_{table}_import", "import_id"),
        # One current row per code: closing the old row is part of every import.
        Index(
            f"uq_{table}_current_code",
            "code",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
    )


class Precinct(_Boundary, Base):
    __tablename__ = "precinct"
    __table_args__ = _boundary_indexes("precinct")


class District(_Boundary, Base):
    __tablename__ = "district"
    __table_args__ = _boundary_indexes("district")

    precinct_code: Mapped[str | None] = mapped_column(Text)
    officer: Mapped[str | None] = mapped_column(Text)
    auxiliaries: Mapped[int | None] = mapped_column(Integer)


class Grid(_Boundary, Base):
    __tablename__ = "grid"
    __table_args__ = _boundary_indexes("grid")

    district_code: Mapped[str | None] = mapped_column(Text)
    precinct_code: Mapped[str | None] = mapped_column(Text)
    community: Mapped[str | None] = mapped_column(Text)
    township: Mapped[str | None] = mapped_column(Text)
    households: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    grid_worker: Mapped[str | None] = mapped_column(Text)


BOUNDARY_MODELS: dict[str, type[_Boundary]] = {
    "precincts": Precinct,
    "districts": District,
    "grids": Grid,
}


class _Located:
    """Point data routed by location to its grid, district and precinct (redone when boundaries change)."""

    grid_code: Mapped[str | None] = mapped_column(Text)
    district_code: Mapped[str | None] = mapped_column(Text)
    precinct_code: Mapped[str | None] = mapped_column(Text)


class KeyPlace(_Located, Base):
    __tablename__ = "key_place"
    __table_args__ = (Index("ix_key_place_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text, server_default="other")
    risk_level: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    geom: Mapped[WKBElement] = _geom("POINT")
    import_id: Mapped[int | None] = mapped_column(Integer)


class PatrolFix(Base):
    """GPS fixes, read by time window first: no spatial index and no foreign key, which would cost more on a
    million-row COPY than they ever save (migration 0003)."""

    __tablename__ = "patrol_fix"
    __table_args__ = (
        Index("ix_patrol_fix_unit_ts", "unit", "ts"),
        Index("ix_patrol_fix_ts", "ts"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    unit: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    geom: Mapped[WKBElement] = _geom("POINT")
    import_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_import.id"))


class Hazard(_Located, Base):
    __tablename__ = "hazard"
    __table_args__ = (
        Index("ix_hazard_geom", "geom", postgresql_using="gist"),
        Index("ix_hazard_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text, server_default="other")
    severity: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(Text, server_default="reported")
    reported_by: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    geom: Mapped[WKBElement] = _geom("POINT")
    import_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_import.id"))
    # 0003: routed to the people of its grid and district; photo file names
    grid_worker: Mapped[str | None] = mapped_column(Text)
    officer: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))


class HazardEvent(Base):
    __tablename__ = "hazard_event"
    __table_args__ = (Index("ix_hazard_event_hazard", "hazard_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(Text)
    to_state: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    note: Mapped[str | None] = mapped_column(Text)


class Incident(_Located, Base):
    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_geom", "geom", postgresql_using="gist"),
        Index("ix_incident_occurred", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    type: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    # Incidents without coordinates are kept (and reported); they simply are not on the map.
    geom: Mapped[WKBElement | None] = _geom("POINT", nullable=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_import.id"))


class Setting(Base):
    """0003: settings changed at run time (the hazard SLA, the key-place categories), as JSON by key."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB)
    updated_by: Mapped[str] = mapped_column(Text, server_default="system")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AppUser(Base):
    """0004: a person or script; ``precinct`` limits the ``precinct`` and ``viewer`` roles (api.scope)."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'analyst', 'precinct', 'viewer')", name="ck_app_user_role"),
        CheckConstraint("role IN ('admin', 'analyst') OR precinct IS NOT NULL", name="ck_app_user_precinct_needed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    role: Mapped[str] = mapped_column(Text)
    precinct: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiToken(Base):
    """0004: a bearer token for scripts; only its sha256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class AuditLog(Base):
    """0004: who did what, when (logins, imports, reverts, applied proposals, hazard changes, user changes)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("clock_timestamp()"))
    user_name: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
