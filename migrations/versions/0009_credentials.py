"""per-workspace integration credentials, encrypted

Revision ID: 0009_credentials
Revises: 0008_sequences
Create Date: 2026-11-22 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_credentials'
down_revision = '0008_sequences'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
