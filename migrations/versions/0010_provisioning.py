"""provisioning pipeline runs and steps, workspace plans

Revision ID: 0010_provisioning
Revises: 0009_credentials
Create Date: 2026-11-22 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_provisioning'
down_revision = '0009_credentials'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
