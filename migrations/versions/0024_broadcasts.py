"""broadcasts: one message to a segment or every subscribed contact, sent by the dispatcher

Revision ID: 0024_broadcasts
Revises: 0023_workflows
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024_broadcasts"
down_revision = "0023_workflows"
branch_labels = None
depends_on = None


def _fk(column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_broadcasts_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade():
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("conversion_days", sa.Integer(), nullable=False),
        sa.Column("conversion_event", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("org_id", "organizations"),
        _fk("campaign_id", "campaigns"),
        _fk("segment_id", "segments", "SET NULL"),
        _fk("created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index("ix_broadcasts_org_created", "broadcasts", ["org_id", "created_at"])
    op.create_index("ix_broadcasts_status_scheduled", "broadcasts", ["status", "scheduled_at"])


def downgrade():
    op.drop_index("ix_broadcasts_status_scheduled", table_name="broadcasts")
    op.drop_index("ix_broadcasts_org_created", table_name="broadcasts")
    op.drop_table("broadcasts")
