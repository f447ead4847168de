"""workflows: definitions as immutable versions, executions, the step log

Revision ID: 0023_workflows
Revises: 0022_segments
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023_workflows"
down_revision = "0022_segments"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "workflows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reentry", sa.String(length=16), nullable=False),
        sa.Column("trigger_kind", sa.String(length=16), nullable=False),
        sa.Column("trigger_key", sa.String(length=120), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("hook_token", sa.String(length=64), nullable=False),
        sa.Column("hook_secret", sa.String(length=64), nullable=False),
        _at("fired_at", True),
        sa.Column("carrier_campaign_id", sa.Integer(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        _fk("workflows", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
        sa.UniqueConstraint("hook_token", name=op.f("uq_workflows_hook_token")),
    )
    op.create_index("ix_workflows_org_id", "workflows", ["org_id"])
    op.create_index(
        "ix_workflows_org_trigger", "workflows", ["org_id", "trigger_kind", "trigger_key"]
    )
    op.create_table(
        "workflow_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        _at("used_at", True),
        _at("created_at"),
        _fk("workflow_versions", "workflow_id", "workflows"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_versions")),
        sa.UniqueConstraint(
            "workflow_id", "number", name=op.f("uq_workflow_versions_workflow_id_number")
        ),
    )
    op.create_table(
        "workflow_executions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paused_from", sa.String(length=16), nullable=True),
        sa.Column("current_step", sa.String(length=64), nullable=True),
        sa.Column("waiting_step", sa.String(length=64), nullable=True),
        sa.Column("waiting_event", sa.String(length=100), nullable=True),
        _at("wake_at", True),
        sa.Column("resolved_by", sa.String(length=40), nullable=True),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("test_mode", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _at("started_at"),
        _at("finished_at", True),
        _at("updated_at"),
        _fk("workflow_executions", "workflow_id", "workflows"),
        _fk("workflow_executions", "version_id", "workflow_versions"),
        _fk("workflow_executions", "lead_id", "leads"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_executions")),
        sa.UniqueConstraint(
            "workflow_id", "dedup_key", name=op.f("uq_workflow_executions_workflow_id_dedup_key")
        ),
    )
    op.create_index(
        "ix_workflow_executions_org_lead_status",
        "workflow_executions",
        ["org_id", "lead_id", "status"],
    )
    op.create_index(
        "ix_workflow_executions_workflow_status", "workflow_executions", ["workflow_id", "status"]
    )
    op.create_table(
        "workflow_step_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _fk("workflow_step_logs", "execution_id", "workflow_executions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_step_logs")),
        sa.UniqueConstraint(
            "execution_id",
            "step_id",
            "visit",
            name=op.f("uq_workflow_step_logs_execution_id_step_id_visit"),
        ),
    )


def downgrade():
    op.drop_table("workflow_step_logs")
    op.drop_table("workflow_executions")
    op.drop_table("workflow_versions")
    op.drop_table("workflows")
