"""saved secrets are shown as •••• only: drop the last four characters kept in their hints

Revision ID: 0034_mask_hints
Revises: 0026_marketing_campaigns
Create Date: 2026-12-03 19:00:00

"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0034_mask_hints"
down_revision = "0026_marketing_campaigns"
branch_labels = None
depends_on = None

MASK = "••••"


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, hint FROM integration_credentials")).all()
    for row_id, hint in rows:
        values = json.loads(hint) if isinstance(hint, str) else (hint or {})
        masked = {k: (MASK if str(v).startswith(MASK) else v) for k, v in values.items()}
        if masked != values:
            bind.execute(
                sa.text("UPDATE integration_credentials SET hint = :hint WHERE id = :id"),
                {"hint": json.dumps(masked), "id": row_id},
            )


def downgrade():
    pass  # the characters dropped are not kept anywhere
