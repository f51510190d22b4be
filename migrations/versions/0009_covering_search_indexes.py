"""covering search indexes: coordinates and id for distance ranking

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_lots_search_family', table_name='lots')
    op.create_index('ix_lots_search_family', 'lots', ['status', 'family_code', 'dql', 'lat', 'lon'], unique=False, postgresql_include=['id'])
    op.drop_index('ix_lots_search_geo', table_name='lots')
    op.create_index('ix_lots_search_geo', 'lots', ['status', 'lat', 'lon'], unique=False, postgresql_include=['id'])


def downgrade():
    op.drop_index('ix_lots_search_geo', table_name='lots')
    op.create_index('ix_lots_search_geo', 'lots', ['status', 'lat', 'lon'], unique=False)
    op.drop_index('ix_lots_search_family', table_name='lots')
    op.create_index('ix_lots_search_family', 'lots', ['status', 'family_code', 'dql'], unique=False)
