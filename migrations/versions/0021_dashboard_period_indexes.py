"""dashboard period indexes: weighings, trades, lots, sales by time; stops and requests by link

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-02 02:35:00

Every dashboard source filters by period; without these the indicators scanned the million
station weighings and every trade (issue 11, benchmarks/dashboard.py).
"""

from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_station_weighings_created_at", "station_weighings", "created_at"),
    ("ix_station_weighings_replaces_id", "station_weighings", "replaces_id"),
    ("ix_station_weighings_factory_time", "station_weighings", "factory_id", "created_at"),
    ("ix_trades_created_at", "trades", "created_at"),
    ("ix_trades_delivered_at", "trades", "delivered_at"),
    ("ix_trades_settled_at", "trades", "settled_at"),
    ("ix_trades_closed_at", "trades", "closed_at"),
    ("ix_lots_listed_at", "lots", "listed_at"),
    ("ix_sales_closed_at", "sales", "closed_at"),
    ("ix_dispatch_stops_request_id", "dispatch_stops", "request_id"),
    ("ix_dispatch_requests_trade_id", "dispatch_requests", "trade_id"),
)


def upgrade():
    for name, table, *columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    for name, table, *_ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
