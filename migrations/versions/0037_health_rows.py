"""health rows: each workspace's last computed health, for support's paginated view

Revision ID: 0037_health_rows
Revises: 0028_landing_pages
Create Date: 2026-12-03 20:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0037_health_rows"
down_revision = "0033_suppressions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_health_rows",
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("issue_count", sa.Integer(), nullable=False),
        sa.Column("top_issue", sa.String(length=300), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_workspace_health_rows_order", "workspace_health_rows", ["rank", "issue_count"]
    )


def downgrade() -> None:
    op.drop_index("ix_workspace_health_rows_order", table_name="workspace_health_rows")
    op.drop_table("workspace_health_rows")
