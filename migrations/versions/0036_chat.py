"""the chatbot: settings, intents, trained models; the coach's conversations become every
channel's (channel, a visitor's cookie, the chatbot's state) and messages keep intents

Revision ID: 0036_chat
Revises: 0034_mask_hints
Create Date: 2026-12-03 20:00:00

"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0036_chat"
down_revision = "0037_health_rows"
branch_labels = None
depends_on = None

THREAD_WHERE = sa.text("channel <> 'web'")


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


CHILDREN = ("coach_messages", "coach_followups")


@contextmanager
def _children_kept():
    """SQLite rebuilds coach_conversations to change a constraint, and its implicit DELETE of
    the old table cascades to every message and follow-up (see 0016): keep them aside and put
    them back. PostgreSQL alters in place."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for table in CHILDREN:
            op.execute(f"CREATE TEMP TABLE keep_{table} AS SELECT * FROM {table}")
    yield
    if sqlite:
        for table in reversed(CHILDREN):
            op.execute(f"DELETE FROM {table}")
            op.execute(f"INSERT INTO {table} SELECT * FROM keep_{table}")
            op.execute(f"DROP TABLE keep_{table}")


def upgrade():
    op.create_table(
        "chat_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("widget_key", sa.String(32), nullable=False, unique=True),
        sa.Column("web_enabled", sa.Boolean(), nullable=False),
        sa.Column("sms_enabled", sa.Boolean(), nullable=False),
        sa.Column("whatsapp_enabled", sa.Boolean(), nullable=False),
        sa.Column("widget_title", sa.String(60), nullable=False),
        sa.Column("opening_hours", sa.Text(), nullable=False),
        sa.Column("pricing", sa.Text(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "chat_intents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("role", sa.String(20), nullable=True),
        sa.Column("training_phrases", sa.JSON(), nullable=False),
        sa.Column("responses", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column(
            "workflow_id",
            sa.Integer(),
            sa.ForeignKey("workflows.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("next_response", sa.Integer(), nullable=False),
        *_stamps(),
        sa.UniqueConstraint("org_id", "name", name="uq_chat_intents_org_id_name"),
    )
    op.create_table(
        "chat_models",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("intents_hash", sa.String(64), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in (
        sa.Column("intent", sa.String(100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
    ):
        op.add_column("coach_messages", column)
    with _children_kept(), op.batch_alter_table("coach_conversations") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(16), nullable=False, server_default="whatsapp")
        )
        batch.add_column(sa.Column("visitor_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("chat_state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalation_reason", sa.String(40), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("misunderstood", sa.Integer(), nullable=False, server_default="0")
        )
        batch.alter_column("lead_id", existing_type=sa.Integer(), nullable=True)
        batch.drop_constraint("uq_coach_conversations_org_id_lead_id", type_="unique")
        batch.create_unique_constraint("uq_coach_conversations_visitor_key", ["visitor_key"])
    with _children_kept(), op.batch_alter_table("coach_conversations") as batch:
        # the defaults were for the old rows only
        batch.alter_column("channel", existing_type=sa.String(16), server_default=None)
        batch.alter_column("misunderstood", existing_type=sa.Integer(), server_default=None)
    op.create_index(
        "uq_coach_conversations_thread",
        "coach_conversations",
        ["org_id", "channel", "lead_id"],
        unique=True,
        sqlite_where=THREAD_WHERE,
        postgresql_where=THREAD_WHERE,
    )
    op.create_index(
        "ix_coach_conversations_chat",
        "coach_conversations",
        ["org_id", "chat_state", "last_message_at"],
    )


def downgrade():
    for name in ("actor_id", "confidence", "intent"):  # a plain DROP COLUMN: no rebuild
        op.execute(f"ALTER TABLE coach_messages DROP COLUMN {name}")
    op.drop_index("ix_coach_conversations_chat", table_name="coach_conversations")
    op.drop_index("uq_coach_conversations_thread", table_name="coach_conversations")
    # Web chats and the chatbot's SMS threads have no place in the coach's table of old.
    op.execute("DELETE FROM coach_conversations WHERE channel <> 'whatsapp' OR lead_id IS NULL")
    with _children_kept(), op.batch_alter_table("coach_conversations") as batch:
        batch.drop_constraint("uq_coach_conversations_visitor_key", type_="unique")
        batch.create_unique_constraint(
            "uq_coach_conversations_org_id_lead_id", ["org_id", "lead_id"]
        )
        batch.alter_column("lead_id", existing_type=sa.Integer(), nullable=False)
        for name in (
            "misunderstood",
            "resolved_at",
            "escalation_reason",
            "escalated_at",
            "chat_state",
            "visitor_key",
            "channel",
        ):
            batch.drop_column(name)
    op.drop_table("chat_models")
    op.drop_table("chat_intents")
    op.drop_table("chat_settings")
