"""dashboard daily summaries: station weighings by day, with the refresh watermark and day counts

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 07:20:00

A year of a large cluster's weighings is a million rows; the indicators and trends read them
summed per local day (`marketplace/dashboard/summary.py`, issue 11). The table starts empty and
the first dashboard read (or `flask dashboard refresh`) fills it from the readings.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dashboard_weighing_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("factory_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("result", sa.String(length=12), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("net_g", sa.BigInteger(), nullable=False),
        sa.Column("deduction_g", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["factory_id"],
            ["organizations.id"],
            name=op.f("fk_dashboard_weighing_days_factory_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["organizations.id"],
            name=op.f("fk_dashboard_weighing_days_station_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_weighing_days")),
    )
    with op.batch_alter_table("dashboard_weighing_days", schema=None) as batch_op:
        batch_op.create_index("ix_dashboard_weighing_days_day", ["day"], unique=False)
        batch_op.create_index(
            "ix_dashboard_weighing_days_factory_day", ["factory_id", "day"], unique=False
        )
        batch_op.create_index(
            "ix_dashboard_weighing_days_station_day", ["station_id", "day"], unique=False
        )
    op.create_table(
        "dashboard_cluster_weighing_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("result", sa.String(length=12), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("net_g", sa.BigInteger(), nullable=False),
        sa.Column("deduction_g", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_cluster_weighing_days")),
    )
    with op.batch_alter_table("dashboard_cluster_weighing_days", schema=None) as batch_op:
        batch_op.create_index("ix_dashboard_cluster_weighing_days_day", ["day"], unique=False)
    op.create_table(
        "dashboard_weighing_org_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_dashboard_weighing_org_days_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("day", "org_id", name=op.f("pk_dashboard_weighing_org_days")),
    )
    op.create_table(
        "dashboard_summary_days",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("base_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "day", name=op.f("pk_dashboard_summary_days")),
    )
    op.create_table(
        "dashboard_summary_marks",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_dashboard_summary_marks")),
    )


def downgrade():
    op.drop_table("dashboard_summary_marks")
    op.drop_table("dashboard_summary_days")
    op.drop_table("dashboard_weighing_org_days")
    with op.batch_alter_table("dashboard_cluster_weighing_days", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboard_cluster_weighing_days_day")
    op.drop_table("dashboard_cluster_weighing_days")
    with op.batch_alter_table("dashboard_weighing_days", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboard_weighing_days_station_day")
        batch_op.drop_index("ix_dashboard_weighing_days_factory_day")
        batch_op.drop_index("ix_dashboard_weighing_days_day")
    op.drop_table("dashboard_weighing_days")
