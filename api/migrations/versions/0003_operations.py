"""operations: hazard routing to people, photos, settings (SLA, key-place categories); patrol fixes lose
their GiST index and their foreign key to boundary_import, which cost 8 s and 4.5 s per million fixes imported
(every query on fixes is a time window first; the import service writes the id of the import it has just
recorded, in the same transaction, and import records are never deleted)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hazard", sa.Column("grid_worker", sa.Text(), nullable=True))
    op.add_column("hazard", sa.Column("officer", sa.Text(), nullable=True))
    op.add_column(
        "hazard",
        sa.Column(
            "photos",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.drop_index("ix_patrol_fix_geom", table_name="patrol_fix", postgresql_using="gist")
    op.drop_constraint("patrol_fix_import_id_fkey", "patrol_fix", type_="foreignkey")
    op.create_index("ix_hazard_grid", "hazard", ["grid_code"], unique=False)
    op.create_index("ix_incident_grid", "incident", ["grid_code"], unique=False)
    op.create_index("ix_key_place_grid", "key_place", ["grid_code"], unique=False)
    op.create_table(
        "setting",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.Text(), server_default="system", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("setting")
    op.drop_index("ix_key_place_grid", table_name="key_place")
    op.drop_index("ix_incident_grid", table_name="incident")
    op.drop_index("ix_hazard_grid", table_name="hazard")
    op.drop_column("hazard", "photos")
    op.drop_column("hazard", "officer")
    op.drop_column("hazard", "grid_worker")
    op.create_foreign_key("patrol_fix_import_id_fkey", "patrol_fix", "boundary_import", ["import_id"], ["id"])
    op.create_index("ix_patrol_fix_geom", "patrol_fix", ["geom"], unique=False, postgresql_using="gist")
