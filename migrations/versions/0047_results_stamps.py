"""results stamps: a number per workspace that changes with its results

The dashboard keeps each workspace's figures in memory for as long as this number stays
the same (webapp/services/metrics.py, `results_stamp`). The database bumps it itself, by
triggers on every table the results are computed from, so no writer can forget:

- leads: a lead added or removed, or its workspace, campaign, source or arrival moved;
- campaign_metrics: any change (uploads, ad platform pulls, our own tracking);
- campaigns: a campaign's channel or workspace changed, or the campaign removed.

SQLite bumps per row (one writer at a time, so nothing waits). PostgreSQL bumps once per
transaction and workspace, at commit (a deferred constraint trigger): the stamp row is
locked last, so a writer holding it never waits for another lock, and a million-row
import bumps once. No foreign key: a removed workspace's leads are removed after it.

Trap for later migrations: a `batch_alter_table` that copies leads, campaign_metrics or
campaigns on SQLite drops their triggers; run `_create_sqlite()` again after it.

Revision ID: 0047_results_stamps
Revises: 0046_inbox_pg_search
Create Date: 2026-12-04 05:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0047_results_stamps"
down_revision = "0046_inbox_pg_search"
branch_labels = None
depends_on = None

# (table, trigger name suffix, event, the workspace ids it touches)
SQLITE_EVENTS = [
    ("leads", "insert", "INSERT", ["new.org_id"]),
    ("leads", "delete", "DELETE", ["old.org_id"]),
    ("leads", "update", "UPDATE OF org_id, campaign_id, source, created_at", ["new.org_id", "old.org_id"]),
    ("campaign_metrics", "insert", "INSERT", ["new.org_id"]),
    ("campaign_metrics", "delete", "DELETE", ["old.org_id"]),
    ("campaign_metrics", "update", "UPDATE", ["new.org_id", "old.org_id"]),
    ("campaigns", "delete", "DELETE", ["old.org_id"]),
    ("campaigns", "update", "UPDATE OF org_id, channel", ["new.org_id", "old.org_id"]),
]  # fmt: skip

BUMP = (
    "INSERT INTO results_stamps (org_id, version) SELECT {org}, 1 WHERE {org} IS NOT NULL "
    "ON CONFLICT (org_id) DO UPDATE SET version = results_stamps.version + 1"
)

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION bump_results_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    org integer;
BEGIN
    FOREACH org IN ARRAY ARRAY[
        CASE WHEN TG_OP <> 'DELETE' THEN NEW.org_id END,
        CASE WHEN TG_OP <> 'INSERT' THEN OLD.org_id END
    ] LOOP
        -- once per transaction and workspace: a bulk import bumps once
        IF org IS NOT NULL
           AND current_setting('results_stamps.bumped_' || org, true) IS DISTINCT FROM 'y' THEN
            PERFORM set_config('results_stamps.bumped_' || org, 'y', true);
            INSERT INTO results_stamps (org_id, version) VALUES (org, 1)
            ON CONFLICT (org_id) DO UPDATE SET version = results_stamps.version + 1;
        END IF;
    END LOOP;
    RETURN NULL;
END $$
"""

# (table, trigger name suffix, event, WHEN condition or None)
POSTGRES_EVENTS = [
    ("leads", "insert_delete", "INSERT OR DELETE", None),
    ("leads", "update", "UPDATE",
     "(OLD.org_id, OLD.campaign_id, OLD.source, OLD.created_at) IS DISTINCT FROM "
     "(NEW.org_id, NEW.campaign_id, NEW.source, NEW.created_at)"),
    ("campaign_metrics", "change", "INSERT OR UPDATE OR DELETE", None),
    ("campaigns", "delete", "DELETE", None),
    ("campaigns", "update", "UPDATE",
     "(OLD.org_id, OLD.channel) IS DISTINCT FROM (NEW.org_id, NEW.channel)"),
]  # fmt: skip


def _create_sqlite(bind) -> None:
    for table, suffix, event, orgs in SQLITE_EVENTS:
        body = "; ".join(BUMP.format(org=org) for org in dict.fromkeys(orgs))
        bind.exec_driver_sql(
            f"CREATE TRIGGER {table}_results_{suffix} AFTER {event} ON {table} BEGIN {body}; END"
        )


def _create_postgres(bind) -> None:
    bind.exec_driver_sql(POSTGRES_FUNCTION)
    for table, suffix, event, when in POSTGRES_EVENTS:
        condition = f" WHEN ({when})" if when else ""
        bind.exec_driver_sql(
            f"CREATE CONSTRAINT TRIGGER {table}_results_{suffix} AFTER {event} ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW{condition} "
            "EXECUTE FUNCTION bump_results_stamp()"
        )


def upgrade() -> None:
    op.create_table(
        "results_stamps",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_results_stamps")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _create_sqlite(bind)
    elif bind.dialect.name == "postgresql":
        _create_postgres(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table, suffix, _event, _orgs in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_results_{suffix}")
    elif bind.dialect.name == "postgresql":
        for table, suffix, _event, _when in POSTGRES_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_results_{suffix} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_results_stamp()")
    op.drop_table("results_stamps")
