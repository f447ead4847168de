"""WhatsApp coach settings, followups, conversations

Revision ID: 0011_coach
Revises: 0010_provisioning
Create Date: 2026-11-22 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_coach'
down_revision = '0010_provisioning'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
