"""health alerts, deduplicated

Revision ID: 0012_health_alerts
Revises: 0011_coach
Create Date: 2026-11-22 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_health_alerts'
down_revision = '0011_coach'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
