"""WhatsApp coach settings, followups, conversations

Revision ID: 0011_coach
Revises: 0010_provisioning
Create Date: 2026-11-22 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_coach"
down_revision = "0010_provisioning"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "coach_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("window_start", sa.String(length=5), nullable=False),
        sa.Column("window_end", sa.String(length=5), nullable=False),
        sa.Column("tone", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("auto_reply", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_coach_settings_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_coach_settings_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_settings")),
        sa.UniqueConstraint("org_id", name=op.f("uq_coach_settings_org_id")),
    )

    op.create_table(
        "coach_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_preview", sa.String(length=200), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=80), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_coach_conversations_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_coach_conversations_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_conversations")),
        sa.UniqueConstraint(
            "org_id", "lead_id", name=op.f("uq_coach_conversations_org_id_lead_id")
        ),
    )
    with op.batch_alter_table("coach_conversations", schema=None) as batch_op:
        batch_op.create_index("ix_coach_conversations_lead", ["lead_id"], unique=False)
        batch_op.create_index(
            "ix_coach_conversations_org_last", ["org_id", "last_message_at", "id"], unique=False
        )

    op.create_table(
        "coach_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("provider", sa.String(length=16), nullable=True),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ai_provider", sa.String(length=16), nullable=True),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["coach_conversations.id"],
            name=op.f("fk_coach_messages_conversation_id_coach_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_messages")),
    )
    with op.batch_alter_table("coach_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coach_messages_conversation", ["conversation_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_coach_messages_org_created", ["org_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_coach_messages_sid", ["provider_sid"], unique=False)

    op.create_table(
        "coach_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_class", sa.String(length=40), nullable=True),
        sa.Column("lease_owner", sa.String(length=80), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["coach_conversations.id"],
            name=op.f("fk_coach_followups_conversation_id_coach_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_coach_followups_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_coach_followups_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_followups")),
        sa.UniqueConstraint("open_key", name=op.f("uq_coach_followups_open_key")),
    )
    with op.batch_alter_table("coach_followups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coach_followups_conversation", ["conversation_id", "status"], unique=False
        )
        batch_op.create_index("ix_coach_followups_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_coach_followups_lead", ["lead_id", "status"], unique=False)
        batch_op.create_index(
            "ix_coach_followups_org_due", ["org_id", "status", "due_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("coach_followups", schema=None) as batch_op:
        batch_op.drop_index("ix_coach_followups_org_due")
        batch_op.drop_index("ix_coach_followups_lead")
        batch_op.drop_index("ix_coach_followups_due")
        batch_op.drop_index("ix_coach_followups_conversation")
    op.drop_table("coach_followups")

    with op.batch_alter_table("coach_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_coach_messages_sid")
        batch_op.drop_index("ix_coach_messages_org_created")
        batch_op.drop_index("ix_coach_messages_conversation")
    op.drop_table("coach_messages")

    with op.batch_alter_table("coach_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_coach_conversations_org_last")
        batch_op.drop_index("ix_coach_conversations_lead")
    op.drop_table("coach_conversations")

    op.drop_table("coach_settings")
