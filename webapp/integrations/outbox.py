"""The local outbox: the provider of every channel when none is configured (DESIGN invariant
5), and where every test-mode message is recorded instead of being sent.

`Outbox.write` is the only code that inserts OutboxMessage rows. A row joins the caller's
transaction when a session is given (flushed, not committed, so the caller commits it with
marking the message sent), else it is committed on its own in a short write transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.core.db import write_engine
from webapp.integrations.email.mime import EmailMessageSpec, default_sender
from webapp.integrations.receipts import SendReceipt
from webapp.models import OutboxMessage


class Outbox:
    """One workspace's outbox: `send_email(spec)` and `send_text(number, body)` record a row."""

    provider = "outbox"

    def __init__(self, engine: Engine, org_id: int | None, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.org_id = org_id
        self.clock = clock

    def send_email(
        self,
        spec: EmailMessageSpec,
        *,
        purpose: str = "",
        test_mode: bool = False,
        session: Session | None = None,
    ) -> SendReceipt:
        """Record an email as the recipient would see it. Returns its receipt (the row id)."""
        row_id = self.write(
            session,
            channel="email",
            to=spec.to,
            sender=spec.sender or default_sender(),
            subject=spec.subject,
            body_text=spec.text,
            body_html=spec.html,
            headers=dict(spec.headers),
            message_id=spec.message_id,
            purpose=purpose,
            test_mode=test_mode,
        )
        return SendReceipt("outbox", message_id=spec.message_id, provider_message_id=str(row_id))

    def send_text(
        self,
        number: str,
        body: str,
        *,
        channel: str = "sms",
        purpose: str = "",
        test_mode: bool = False,
        session: Session | None = None,
    ) -> SendReceipt:
        """Record an SMS or WhatsApp message to `number` (already checked, E.164)."""
        row_id = self.write(
            session,
            channel=channel,
            to=number,
            sender="",
            subject="",
            body_text=body,
            body_html=None,
            headers={},
            message_id=None,
            purpose=purpose,
            test_mode=test_mode,
        )
        return SendReceipt("outbox", provider_message_id=str(row_id))

    def write(self, session: Session | None, **values: object) -> int:
        """Insert one outbox row; returns its id. In `session` when given, else committed alone."""
        values = {"org_id": self.org_id, "created_at": self.clock(), **values}
        if session is not None:
            row = OutboxMessage(**values)
            session.add(row)
            session.flush()
            return row.id
        with write_engine(self.engine).begin() as conn:
            return conn.execute(
                insert(OutboxMessage).values(**values).returning(OutboxMessage.id)
            ).scalar_one()
