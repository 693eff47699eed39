"""Migrations up and down on an empty database."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from api.db import alembic_config, downgrade, upgrade

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()

TABLES = {
    "boundary_import",
    "precinct",
    "district",
    "grid",
    "key_place",
    "patrol_fix",
    "hazard",
    "hazard_event",
    "incident",
    "setting",
    "app_user",
    "api_token",
    "audit_log",
}


def _tables(conn) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"spatial_ref_sys", "alembic_version"}


def test_upgrade_and_downgrade_on_an_empty_database(bare_engine):
    with bare_engine.begin() as conn:
        upgrade(conn)
        assert _tables(conn) == TABLES
        gist = conn.scalars(text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'")).all()
        assert set(gist) == TABLES - {
            "boundary_import",
            "hazard_event",
            "setting",
            "patrol_fix",
            "app_user",
            "api_token",
            "audit_log",
        }
        srid = conn.scalar(text("SELECT Find_SRID('public', 'grid', 'geom')"))
        assert srid == 4326
    with bare_engine.begin() as conn:
        downgrade(conn)
        assert _tables(conn) == set()
    with bare_engine.begin() as conn:
        upgrade(conn)  # and up again from nothing
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == HEAD


def test_one_current_row_per_code(session):
    insert = text(
        "INSERT INTO precinct (code, name, geom) VALUES ('P1', 'a', ST_Multi(ST_MakeEnvelope(0, 0, 1, 1, 4326)))"
    )
    session.execute(insert)
    session.execute(text("UPDATE precinct SET valid_to = now() WHERE code = 'P1'"))
    session.execute(insert)  # the closed row no longer counts
    with pytest.raises(IntegrityError, match="uq_precinct_current_code"), session.begin_nested():
        session.execute(insert)
