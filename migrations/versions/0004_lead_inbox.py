"""lead inbox: search indexes, the name sort, the filter index, the rate limiter's hits

Substring search over 200,000 leads needs an index that `LIKE '%…%'` can use, and each
database has its own:

- SQLite: an FTS5 table with the trigram tokenizer over `leads.search_text`, kept in step
  by triggers (external content, so it stores only the index), and an index holding the
  search text in newest-first order for terms too common for FTS to pay. Needs SQLite
  3.34 or later; on an older SQLite the inbox falls back to scanning.
- PostgreSQL: pg_trgm's GIN index on `leads.search_text`. pg_trgm is a trusted extension
  (PostgreSQL 13+), so the database owner may create it; without it search scans.

Neither can be declared on the SQLAlchemy model, so `webapp.models.lead` lists them as
unmodelled and autogenerate skips them.

Trap for later migrations: a `batch_alter_table("leads")` that has to copy the table on
SQLite drops these triggers with the old table; re-run `_create_sqlite_search()` after it.

Revision ID: 0004_lead_inbox
Revises: 0002_autopilot
Create Date: 2026-11-23 10:00:00.000000

"""

import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004_lead_inbox"
down_revision = "0002_autopilot"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE lead_search USING fts5("
    "search_text, content='leads', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN "
    "INSERT INTO lead_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER leads_search_delete AFTER DELETE ON leads BEGIN "
    "INSERT INTO lead_search(lead_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER leads_search_update AFTER UPDATE OF search_text ON leads BEGIN "
    "INSERT INTO lead_search(lead_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO lead_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO lead_search(lead_search) VALUES ('rebuild')",
    # A common term is found faster by walking the newest-first order and testing each
    # entry's text in the index itself, without reading the row (see webapp/services/leads/search.py).
    "CREATE INDEX ix_leads_search_walk ON leads (org_id, created_at, id, search_text)",
]


def _create_sqlite_search(bind) -> None:
    try:
        with bind.begin_nested():
            for statement in SQLITE_SEARCH:
                bind.exec_driver_sql(statement)
    except sa.exc.OperationalError as exc:  # SQLite older than 3.34: no trigram tokenizer
        log.warning("lead search index not created (%s); the inbox search will scan", exc)


def _create_postgres_search(bind) -> None:
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            bind.exec_driver_sql(
                "CREATE INDEX ix_leads_search_trgm ON leads USING gin (search_text gin_trgm_ops)"
            )
    except sa.exc.DBAPIError as exc:  # no right to create the extension
        log.warning("pg_trgm index not created (%s); the inbox search will scan", exc)


def upgrade():
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=160), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hits")),
    )
    op.create_index(
        "ix_rate_limit_hits_bucket_at", "rate_limit_hits", ["bucket", "at"], unique=False
    )
    op.create_index("ix_leads_org_name", "leads", ["org_id", "full_name", "id"], unique=False)
    op.create_index(
        "ix_leads_org_filters",
        "leads",
        ["org_id", "status", "source", "score", "created_at"],
        unique=False,
    )

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _create_sqlite_search(bind)
    elif bind.dialect.name == "postgresql":
        _create_postgres_search(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("leads_search_insert", "leads_search_delete", "leads_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS lead_search")
        op.execute("DROP INDEX IF EXISTS ix_leads_search_walk")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_leads_search_trgm")
    op.drop_index("ix_leads_org_filters", table_name="leads")
    op.drop_index("ix_leads_org_name", table_name="leads")
    op.drop_index("ix_rate_limit_hits_bucket_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
