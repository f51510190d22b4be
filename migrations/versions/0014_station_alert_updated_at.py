"""station: alerts carry the time of their last change, so the alert stream pushes changes
(acknowledged, filed, resolved, escalated) and not only new alerts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 23:30:00

"""

from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("station_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", core.db.UTCDateTime(), nullable=True))
    # an existing alert last changed when it was approved, filed, acknowledged or opened
    op.execute(
        "UPDATE station_alerts SET updated_at = "
        "COALESCE(approved_at, resolved_at, acknowledged_at, opened_at)"
    )
    with op.batch_alter_table("station_alerts", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=core.db.UTCDateTime(), nullable=False)
        batch_op.create_index(
            "ix_station_alerts_updated", ["station_id", "updated_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("station_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_station_alerts_updated")
        batch_op.drop_column("updated_at")
