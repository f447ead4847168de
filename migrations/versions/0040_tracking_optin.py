"""tracking and double opt-in: a workspace's open pixel switch, tracking domain and double
opt-in switch; a contact's email confirmation state

Revision ID: 0040_tracking_optin
Revises: 0036_chat
Create Date: 2026-12-03 22:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0040_tracking_optin"
down_revision = "0036_chat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(
            sa.Column("track_opens", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("tracking_domain", sa.String(length=253), nullable=True))
        batch.add_column(
            sa.Column("double_optin", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("optin_state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("optin_form", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("optin_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("optin_confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        for name in ("optin_confirmed_at", "optin_requested_at", "optin_form", "optin_state"):
            batch.drop_column(name)
    with op.batch_alter_table("organizations") as batch:
        for name in ("double_optin", "tracking_domain", "track_opens"):
            batch.drop_column(name)
