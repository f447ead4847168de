"""ad platform links: an autopilot channel campaign linked to a Google Ads or Meta campaign

Revision ID: 0029_ads_links
Revises: 0026_marketing_campaigns
Create Date: 2026-12-03 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0029_ads_links"
down_revision = "0035_form_submissions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ad_platform_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("platform_campaign_id", sa.String(length=64), nullable=False),
        sa.Column("platform_name", sa.String(length=255), nullable=False),
        sa.Column("platform_status", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("daily_budget_minor", sa.Integer(), nullable=False),
        sa.Column("paused_month", sa.String(length=7), nullable=True),
        sa.Column("last_pull_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_ad_platform_links_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_ad_platform_links_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_platform_links")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_ad_platform_links_campaign_id")),
    )
    op.create_index(
        "ix_ad_platform_links_org_provider", "ad_platform_links", ["org_id", "provider"]
    )


def downgrade():
    op.drop_index("ix_ad_platform_links_org_provider", table_name="ad_platform_links")
    op.drop_table("ad_platform_links")
