"""form submissions: create forms carry a one-time token, so a double submit creates once

Revision ID: 0035_form_submissions
Revises: 0034_mask_hints
Create Date: 2026-12-03 19:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0035_form_submissions"
down_revision = "0034_mask_hints"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("result_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_form_submissions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_submissions")),
        sa.UniqueConstraint("user_id", "token", name=op.f("uq_form_submissions_user_id_token")),
    )
    op.create_index(op.f("ix_form_submissions_created_at"), "form_submissions", ["created_at"])


def downgrade():
    op.drop_index(op.f("ix_form_submissions_created_at"), table_name="form_submissions")
    op.drop_table("form_submissions")
