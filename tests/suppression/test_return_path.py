"""The VERP return path on the wire: with a bounce mailbox, MAIL FROM names the message."""

from __future__ import annotations

from tests.conftest import START
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from webapp.core.extensions import db
from webapp.integrations.delivery import OutgoingMessage
from webapp.services.connections import open_channel, save_credentials
from webapp.services.suppression import parse_verp, verp_token

smtp_sink = smtp_server.smtp_sink  # the fixture


def send_one(org_id: int, verp: str | None):
    with open_channel(org_id, "email", engine=db.engine, clock=lambda: START) as channel:
        channel.send(OutgoingMessage(channel="email", to="dana@example.org", subject="Hi",
                                     text="Hello", org_id=org_id, verp=verp))  # fmt: skip


def test_with_a_bounce_mailbox_the_envelope_sender_carries_the_send(app, alice_org, smtp_sink):
    use_smtp(app, smtp_sink)
    send_one(alice_org.id, verp_token(42))
    assert smtp_sink.messages[-1].mail_from == "hello@alicebakes.example"  # no mailbox yet
    db.session.commit()
    save_credentials(db.session, alice_org.id, "bounces",
                     {"host": "pop.example", "port": "995", "username": "b", "password": "p",
                      "address": "bounces@alicebakes.example"}, actor_id=None, now=START)  # fmt: skip
    db.session.commit()

    send_one(alice_org.id, verp_token(42))

    received = smtp_sink.messages[-1]
    assert received.mail_from.startswith("bounces+42.")
    assert received.mail_from.endswith("@alicebakes.example")
    assert parse_verp(received.mail_from) == 42
    assert received.message["From"] == "Alice Bakes <hello@alicebakes.example>"  # unchanged
