"""one rate limiter: failed sign-ins become rate-limit hits

Revision ID: 0014_one_rate_limiter
Revises: 0013_queue_lock_key
Create Date: 2026-12-03 13:00:00

A hit may now count in several buckets as one event (a failed sign-in counts for its email
and its address), so `rate_limit_hits` gains `event`, and its `bucket` widens to hold
"sign-in:email:" and a full email address. The login failures of the lockout window move
over as such events, so a lockout in progress survives the upgrade (and the downgrade).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_one_rate_limiter"
down_revision = "0013_queue_lock_key"
branch_labels = None
depends_on = None

EMAIL = "sign-in:email:"
IP = "sign-in:ip:"


def upgrade():
    with op.batch_alter_table("rate_limit_hits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event", sa.String(length=32), nullable=True))
        batch_op.alter_column(
            "bucket", existing_type=sa.String(length=160), type_=sa.String(length=320)
        )
    op.execute("UPDATE rate_limit_hits SET event = 'h' || CAST(id AS VARCHAR(20))")
    for prefix, column in ((EMAIL, "email"), (IP, "ip")):
        op.execute(
            "INSERT INTO rate_limit_hits (bucket, event, at) "
            f"SELECT '{prefix}' || {column}, 'f' || CAST(id AS VARCHAR(20)), at "
            "FROM login_failures"
        )
    with op.batch_alter_table("rate_limit_hits", schema=None) as batch_op:
        batch_op.alter_column("event", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index("ix_rate_limit_hits_event", ["event"], unique=False)

    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_ip_at")
        batch_op.drop_index("ix_login_failures_email_at")
    op.drop_table("login_failures")


def downgrade():
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_email_at", ["email", "at"], unique=False)
        batch_op.create_index("ix_login_failures_ip_at", ["ip", "at"], unique=False)
    op.execute(
        "INSERT INTO login_failures (email, ip, at) "
        f"SELECT substr(e.bucket, {len(EMAIL) + 1}, 254), substr(i.bucket, {len(IP) + 1}, 64), "
        "e.at FROM rate_limit_hits e JOIN rate_limit_hits i ON i.event = e.event "
        f"WHERE e.bucket LIKE '{EMAIL}%' AND i.bucket LIKE '{IP}%'"
    )
    op.execute(
        f"DELETE FROM rate_limit_hits WHERE bucket LIKE '{EMAIL}%' OR bucket LIKE '{IP}%' "
        "OR length(bucket) > 160"
    )
    with op.batch_alter_table("rate_limit_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_hits_event")
        batch_op.alter_column(
            "bucket", existing_type=sa.String(length=320), type_=sa.String(length=160)
        )
        batch_op.drop_column("event")
