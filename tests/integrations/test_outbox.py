"""The local outbox has one writer: `integrations.outbox.Outbox.write`, used by every
channel (email, SMS, WhatsApp) and by test mode."""

from __future__ import annotations

import re
from pathlib import Path

from webapp.core.extensions import db
from webapp.integrations.email import EmailMessageSpec
from webapp.integrations.outbox import Outbox
from webapp.models import OutboxMessage

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
WRITES = re.compile(
    r"(?<!class )\bOutboxMessage\(|insert\(\s*OutboxMessage\b|\bOutboxMessage\.__table__"
)


def test_only_the_outbox_module_writes_outbox_rows():
    writers = sorted(
        str(path.relative_to(WEBAPP.parent))
        for path in WEBAPP.rglob("*.py")
        if WRITES.search(path.read_text(encoding="utf-8"))
    )
    assert writers == ["webapp/integrations/outbox.py"]


def test_a_row_joins_the_callers_transaction_or_is_committed_alone(app, alice_org, clock):
    outbox = Outbox(db.engine, alice_org.id, clock)

    alone = outbox.send_text("+14155552671", "Hi", channel="whatsapp", purpose="coach")
    db.session.commit()  # a fresh snapshot: that row was committed on a connection of its own
    joined = outbox.send_email(
        EmailMessageSpec(to="dana@example.com", subject="Hello", text="Hi"),
        purpose="weekly_report",
        session=db.session,
    )
    db.session.rollback()  # the joined row goes with the caller's transaction

    rows = db.session.query(OutboxMessage).all()
    assert [(r.id, r.channel, r.to, r.purpose) for r in rows] == [
        (int(alone.provider_message_id), "whatsapp", "+14155552671", "coach")
    ]
    assert joined.provider == "outbox" and joined.provider_message_id != alone.provider_message_id
