"""segments: saved rule sets, their stored membership, contact tags, custom attribute types

Revision ID: 0022_segments
Revises: 0021_event_retention
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022_segments"
down_revision = "0021_event_retention"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade():
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("depends_on", sa.JSON(), nullable=False),
        sa.Column("time_relative", sa.Boolean(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("segments", "org_id", "organizations"),
        _fk("segments", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
    )
    op.create_index("ix_segments_org_name", "segments", ["org_id", "name"])
    op.create_table(
        "segment_members",
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exited_at", sa.DateTime(timezone=True), nullable=True),
        _fk("segment_members", "segment_id", "segments"),
        _fk("segment_members", "lead_id", "leads"),
        _fk("segment_members", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("segment_id", "lead_id", name=op.f("pk_segment_members")),
    )
    op.create_index(
        "ix_segment_members_current", "segment_members", ["segment_id", "exited_at", "lead_id"]
    )
    op.create_index("ix_segment_members_lead", "segment_members", ["lead_id"])
    op.create_table(
        "lead_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("lead_tags", "org_id", "organizations"),
        _fk("lead_tags", "lead_id", "leads"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_tags")),
        sa.UniqueConstraint(
            "org_id", "lead_id", "tag", name=op.f("uq_lead_tags_org_id_lead_id_tag")
        ),
    )
    op.create_index("ix_lead_tags_org_tag", "lead_tags", ["org_id", "tag", "lead_id"])
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("custom_fields", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("org_id", "key", name=op.f("uq_custom_fields_org_id_key")),
    )


def downgrade():
    op.drop_table("custom_fields")
    op.drop_table("lead_tags")
    op.drop_table("segment_members")
    op.drop_table("segments")
