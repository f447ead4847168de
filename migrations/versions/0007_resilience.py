"""resilience: circuit breakers and token buckets

Revision ID: 0007_resilience
Revises: 0004_lead_inbox
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_resilience"
down_revision = "0004_lead_inbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "circuit_breakers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trial_owner", sa.String(length=120), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_class", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circuit_breakers")),
        sa.UniqueConstraint("org_id", "provider", name=op.f("uq_circuit_breakers_org_id_provider")),
    )
    op.create_table(
        "token_buckets",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_token_buckets")),
    )


def downgrade():
    op.drop_table("token_buckets")
    op.drop_table("circuit_breakers")
