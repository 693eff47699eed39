"""tile overviews: the boundaries' Web Mercator geometry simplified for the tiles of zoom 12 and 13

Generated stored columns: PostgreSQL computes them for the existing rows when they are added (the table is
rewritten) and for every new row; imports never write them. The tolerance of each is exactly the one the tiles of
that zoom simplify by at request time (a quarter pixel: 4 of 4096 tile units), so those tiles read them as they
are (api.services.tiles).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 08:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("precinct", "district", "grid")
# zoom -> tolerance in metres: 40075016.68557849 / 2**zoom / 4096 * 4, written out (a migration never changes)
OVERVIEWS = {12: "9.554628535647032", 13: "4.777314267823516"}


def upgrade() -> None:
    for table in TABLES:
        # One ALTER TABLE: the table is rewritten once for both columns.
        columns = ", ".join(
            f"ADD COLUMN geom_z{zoom} geometry(Geometry, 3857) "
            f"GENERATED ALWAYS AS (ST_Simplify(ST_Transform(geom, 3857), {tolerance}, true)) STORED"
            for zoom, tolerance in OVERVIEWS.items()
        )
        op.execute(f"ALTER TABLE {table} {columns}")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} " + ", ".join(f"DROP COLUMN geom_z{zoom}" for zoom in OVERVIEWS))
