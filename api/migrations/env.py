"""Alembic environment: migrations run on the connection handed in by :func:`api.db.upgrade`."""

from alembic import context
from geoalchemy2 import alembic_helpers

from api.models import Base

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `jingwang db upgrade`, which supplies the connection")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
