"""marketing campaigns by objective, the workspace's brand profile, and the link from an
autopilot budget campaign to the marketing campaign it belongs to

Revision ID: 0026_marketing_campaigns
Revises: 0025_optimizer_mode
Create Date: 2026-12-03 18:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0026_marketing_campaigns"
down_revision = "0025_optimizer_mode"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade():
    op.create_table(
        "marketing_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("budget", sa.Numeric(12, 2), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        _fk("marketing_campaigns", "org_id", "organizations"),
        _fk("marketing_campaigns", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_campaigns")),
    )
    op.create_index(
        "ix_marketing_campaigns_org_status", "marketing_campaigns", ["org_id", "status"]
    )
    op.create_index(
        "ix_marketing_campaigns_status_starts", "marketing_campaigns", ["status", "starts_on"]
    )
    op.create_table(
        "brand_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("primary_color", sa.String(length=7), nullable=False),
        sa.Column("accent_color", sa.String(length=7), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_mime", sa.String(length=40), nullable=True),
        sa.Column("postal_address", sa.Text(), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("brand_profiles", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_profiles")),
        sa.UniqueConstraint("org_id", name=op.f("uq_brand_profiles_org_id")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marketing_campaign_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_campaigns_marketing_campaign_id_marketing_campaigns"),
            "marketing_campaigns",
            ["marketing_campaign_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_campaigns_marketing_campaign_id"), ["marketing_campaign_id"]
        )


def downgrade():
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_marketing_campaign_id"))
        batch_op.drop_constraint(
            op.f("fk_campaigns_marketing_campaign_id_marketing_campaigns"), type_="foreignkey"
        )
        batch_op.drop_column("marketing_campaign_id")
    op.drop_table("brand_profiles")
    op.drop_index("ix_marketing_campaigns_status_starts", table_name="marketing_campaigns")
    op.drop_index("ix_marketing_campaigns_org_status", table_name="marketing_campaigns")
    op.drop_table("marketing_campaigns")
