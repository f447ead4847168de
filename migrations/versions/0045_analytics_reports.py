"""analytics reports a workspace schedules, and their runs (one per report and period)

Revision ID: 0045_analytics_reports
Revises: 0042_phone_region
Create Date: 2026-12-03 22:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0045_analytics_reports"
down_revision = "0042_phone_region"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("report_type", sa.String(16), nullable=False),
        sa.Column("schedule", sa.String(16), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("send_hour", sa.Integer(), nullable=False),
        sa.Column("last_generated_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_analytics_reports_org", "analytics_reports", ["org_id"])
    op.create_table(
        "analytics_report_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey("analytics_reports.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("emailed_to", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("report_id", "period"),
    )


def downgrade() -> None:
    op.drop_table("analytics_report_runs")
    op.drop_index("ix_analytics_reports_org", table_name="analytics_reports")
    op.drop_table("analytics_reports")
