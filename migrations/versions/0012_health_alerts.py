"""health alerts, deduplicated

Revision ID: 0012_health_alerts
Revises: 0011_coach
Create Date: 2026-11-22 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_health_alerts"
down_revision = "0011_coach"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "health_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("open_kind", sa.String(length=40), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_health_alerts_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_alerts")),
        sa.UniqueConstraint("org_id", "open_kind", name=op.f("uq_health_alerts_org_id_open_kind")),
    )
    op.create_index(
        "ix_health_alerts_status_org", "health_alerts", ["status", "org_id"], unique=False
    )
    op.create_index(
        "ix_health_alerts_org_first_seen",
        "health_alerts",
        ["org_id", "first_seen_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_health_alerts_org_first_seen", table_name="health_alerts")
    op.drop_index("ix_health_alerts_status_org", table_name="health_alerts")
    op.drop_table("health_alerts")
