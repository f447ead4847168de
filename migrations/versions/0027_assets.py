"""marketing assets, their generations (linked to the priced AiCall rows) and the
workspace's own prompt templates

Revision ID: 0027_assets
Revises: 0026_marketing_campaigns
Create Date: 2026-12-03 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0027_assets"
down_revision = "0028_landing_pages"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _stamps():
    return (
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def upgrade():
    op.create_table(
        "prompt_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("temperature", sa.Numeric(3, 2), nullable=False),
        sa.Column("max_tokens", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        *_stamps(),
        _fk("prompt_templates", "org_id", "organizations"),
        _fk("prompt_templates", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_templates")),
    )
    op.create_index(
        "uq_prompt_templates_org_name", "prompt_templates", ["org_id", "name"], unique=True
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("marketing_campaign_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("chosen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("file", sa.LargeBinary(), nullable=True),
        sa.Column("file_mime", sa.String(length=40), nullable=True),
        sa.Column("sequence_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        *_stamps(),
        _fk("assets", "org_id", "organizations"),
        _fk("assets", "marketing_campaign_id", "marketing_campaigns"),
        _fk("assets", "sequence_id", "campaigns", "SET NULL"),
        _fk("assets", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_index("ix_assets_org_campaign", "assets", ["org_id", "marketing_campaign_id"])
    op.create_index("ix_assets_org_type_status", "assets", ["org_id", "type", "status"])
    op.create_table(
        "generations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("ai_call_id", sa.Integer(), nullable=True),
        sa.Column("prompt_template_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(12, 6), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("fallback_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("generations", "org_id", "organizations"),
        _fk("generations", "asset_id", "assets"),
        _fk("generations", "ai_call_id", "ai_calls", "SET NULL"),
        _fk("generations", "prompt_template_id", "prompt_templates", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generations")),
    )
    op.create_index(op.f("ix_generations_asset_id"), "generations", ["asset_id"])
    op.create_index("ix_generations_org_created", "generations", ["org_id", "created_at"])


def downgrade():
    op.drop_index("ix_generations_org_created", table_name="generations")
    op.drop_index(op.f("ix_generations_asset_id"), table_name="generations")
    op.drop_table("generations")
    op.drop_index("ix_assets_org_type_status", table_name="assets")
    op.drop_index("ix_assets_org_campaign", table_name="assets")
    op.drop_table("assets")
    op.drop_index("uq_prompt_templates_org_name", table_name="prompt_templates")
    op.drop_table("prompt_templates")
