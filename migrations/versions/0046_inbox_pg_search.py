"""inbox search on PostgreSQL: the walk index holds the search text

A term held by many leads is served by walking the newest/oldest order and testing each
lead's search text (webapp/services/leads/search.py). SQLite's `ix_leads_search_walk`
(0004) holds the text in its key; PostgreSQL's carries it as an INCLUDE column, so the walk
is an index-only scan that reads no row until the page is found. It needs no extension:
without pg_trgm the inbox never walks and the index only costs its upkeep.

Revision ID: 0046_inbox_pg_search
Revises: 0041_texting_hours
Create Date: 2026-12-04 05:40:00

"""

from alembic import op

revision = "0046_inbox_pg_search"
down_revision = "0041_texting_hours"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_leads_search_walk ON leads (org_id, created_at, id)"
            " INCLUDE (search_text)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_leads_search_walk")
