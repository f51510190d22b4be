"""dashboard factors and organisation monthly reports

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 01:45:00

The factor table is seeded here from marketplace/dashboard/data/factors_defra2025.csv (DEFRA 2025
basis only), so every database has the factors the CO2 figures cite.
"""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

DATA = (
    Path(__file__).resolve().parents[2]
    / "marketplace"
    / "dashboard"
    / "data"
    / "factors_defra2025.csv"
)


def upgrade():
    factors = op.create_table(
        "dashboard_factors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("material", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=5), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("laden", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_table", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_factors")),
        sa.UniqueConstraint("version", "key", name="version_key"),
    )
    op.create_table(
        "dashboard_org_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("value_added_fen", sa.BigInteger(), nullable=True),
        sa.Column("virgin_input_g", sa.BigInteger(), nullable=True),
        sa.Column("recycled_input_g", sa.BigInteger(), nullable=True),
        sa.Column("capacity_g", sa.BigInteger(), nullable=True),
        sa.Column("prior_stock_utilised_g", sa.BigInteger(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_dashboard_org_reports_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_org_reports")),
        sa.UniqueConstraint("organization_id", "month", name="org_month"),
    )
    with op.batch_alter_table("dashboard_org_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_org_reports_organization_id"),
            ["organization_id"],
            unique=False,
        )
    with DATA.open(newline="", encoding="utf-8") as fh:
        rows = [
            {
                **row,
                "value": Decimal(row["value"]),
                "valid_from": date.fromisoformat(row["valid_from"]),
            }
            for row in csv.DictReader(fh)
        ]
    op.bulk_insert(factors, rows)


def downgrade():
    with op.batch_alter_table("dashboard_org_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_org_reports_organization_id"))
    op.drop_table("dashboard_org_reports")
    op.drop_table("dashboard_factors")
