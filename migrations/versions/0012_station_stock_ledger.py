"""station: the stock ledger (入库, 出库, 盘盈盘亏 per package and location) and the lineage
index the reports walk

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-01 22:30:00

"""

from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "station_stock_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("material", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("grams", sa.BigInteger(), nullable=False),
        sa.Column("weighing_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("at", core.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('in', 'out', 'adjust')", name=op.f("ck_station_stock_moves_kind_known")
        ),
        sa.CheckConstraint(
            "kind = 'adjust' OR grams >= 0", name=op.f("ck_station_stock_moves_grams_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_station_stock_moves_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["station_locations.id"],
            name=op.f("fk_station_stock_moves_location_id_station_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["users.id"], name=op.f("fk_station_stock_moves_operator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["station_packages.id"],
            name=op.f("fk_station_stock_moves_package_id_station_packages"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["organizations.id"],
            name=op.f("fk_station_stock_moves_station_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["weighing_id"],
            ["station_weighings.id"],
            name=op.f("fk_station_stock_moves_weighing_id_station_weighings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_stock_moves")),
    )
    with op.batch_alter_table("station_stock_moves", schema=None) as batch_op:
        batch_op.create_index(
            "ix_station_stock_moves_station_time", ["station_id", "at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_station_stock_moves_package_id"), ["package_id"], unique=False
        )
    with op.batch_alter_table("station_package_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_package_links_child_id"), ["child_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("station_package_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_package_links_child_id"))
    with op.batch_alter_table("station_stock_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_stock_moves_package_id"))
        batch_op.drop_index("ix_station_stock_moves_station_time")
    op.drop_table("station_stock_moves")
