"""landing pages, their daily view and submission counters, and the workspace's public slug

Revision ID: 0028_landing_pages
Revises: 0026_marketing_campaigns
Create Date: 2026-12-03 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0028_landing_pages"
down_revision = "0029_ads_links"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_slug", sa.String(length=60), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_organizations_public_slug"), ["public_slug"]
        )
    op.create_table(
        "landing_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("marketing_campaign_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("variation", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_landing_pages_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marketing_campaign_id"],
            ["marketing_campaigns.id"],
            name=op.f("fk_landing_pages_marketing_campaign_id_marketing_campaigns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_landing_pages_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landing_pages")),
        sa.UniqueConstraint("org_id", "slug", name=op.f("uq_landing_pages_org_id_slug")),
    )
    op.create_index(
        "ix_landing_pages_org_campaign", "landing_pages", ["org_id", "marketing_campaign_id"]
    )
    op.create_table(
        "landing_page_days",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("form_submissions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["landing_pages.id"],
            name=op.f("fk_landing_page_days_page_id_landing_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("page_id", "day", name=op.f("pk_landing_page_days")),
    )


def downgrade():
    op.drop_table("landing_page_days")
    op.drop_index("ix_landing_pages_org_campaign", table_name="landing_pages")
    op.drop_table("landing_pages")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_organizations_public_slug"), type_="unique")
        batch_op.drop_column("public_slug")
