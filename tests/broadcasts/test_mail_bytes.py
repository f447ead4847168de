"""The bytes a broadcast puts on the wire (integrations/email/mime.message_bytes, written
directly instead of by the email package's generator): the same mail, valid under the
strict policy, CRLF, no line over 998 octets, text part first, and each recipient's own
List-Unsubscribe and tracked links."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.broadcasts.factories import NEWSLETTER, make_broadcast, make_contacts
from tests.conftest import START
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from tests.messaging.factories import NEWS
from webapp.core.extensions import db
from webapp.integrations.email import mime
from webapp.integrations.email.mime import (
    SMTP_POLICY,
    EmailMessageSpec,
    build_message,
    message_bytes,
)
from webapp.models.sequence import Send
from webapp.services import broadcasts
from webapp.services.messaging.dispatch import process_due
from webapp.services.messaging.tracking import make_token

smtp_sink = smtp_server.smtp_sink  # the fixture

SENDER = "Alice Bakes <hello@alicebakes.example>"
TRACKED = EmailMessageSpec(
    to="contact7@example.com",
    subject="News for you, Zoë",
    text="Hi Zoë,\n\nMenu: https://alicebakes.example/menu\n\n--\nUnsubscribe: https://a.example/u/7.x\n",
    html='<p>Hi Zoë,</p>\n<p>Menu: <a href="https://a.example/c/7-0.sig">https://alicebakes.example/menu</a></p>',
    headers={
        "List-Unsubscribe": "<https://a.example/u/7.x>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
    message_id="<job-7@alicebakes.example>",
)


def generated(spec: EmailMessageSpec, boundary: bytes) -> bytes:
    """What the email package's generator writes for `build_message`, with our boundary."""
    message = build_message(spec, SENDER)
    if message.is_multipart():
        message.set_boundary(boundary.decode())
    return message.as_bytes(policy=SMTP_POLICY)


def boundary_of(data: bytes) -> bytes:
    found = re.search(rb'boundary="([^"]+)"', data)
    return found.group(1) if found else b""


def test_the_bytes_are_the_generators_byte_for_byte():
    long_subject = EmailMessageSpec(
        to="Zoë Ünï <zoe@example.com>",
        subject="A very long subject line that the generator has to fold " * 3,
        text="plain = only",
        headers={"X-Campaign": "winter " * 20},
        message_id="<job-8@alicebakes.example>",
    )
    with mock.patch.object(mime, "formatdate", lambda localtime=False: "Tue, 24 Nov 2026"):
        for spec in (TRACKED, long_subject):
            data, msgid = message_bytes(spec, SENDER)
            assert msgid == spec.message_id
            assert data == generated(spec, boundary_of(data))


def assert_valid(data: bytes) -> list:
    assert b"\n" not in data.replace(b"\r\n", b"") and b"\r" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    parsed = message_from_bytes(data, policy=policy.strict)  # raises on any defect
    assert not parsed.defects
    return [part for part in parsed.walk() if not part.is_multipart()]


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=400
    ),
    name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
)
def test_any_text_comes_out_valid_and_reads_back_the_same(text, name):
    spec = EmailMessageSpec(
        to="contact1@example.com",
        subject=f"Hello {name}",
        text=text,
        html=f"<p>{text}</p>",
        headers={"List-Unsubscribe": "<https://a.example/u/1.sig>"},
        message_id="<job-1@a.example>",
    )
    data, _msgid = message_bytes(spec, SENDER)
    plain, html = assert_valid(data)
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    same = text.replace("\r\n", "\n").replace("\r", "\n")
    assert plain.get_content().replace("\r\n", "\n") == same
    assert html.get_content().replace("\r\n", "\n") == f"<p>{same}</p>"
    parsed = message_from_bytes(data, policy=policy.default)
    assert parsed["Subject"] == " ".join(f"Hello {name}".split())


def test_each_recipient_gets_its_own_unsubscribe_and_tracked_links_over_smtp(
    app, alice_org, smtp_sink
):
    use_smtp(app, smtp_sink, EMAIL_PER_MINUTE=0)
    make_contacts(alice_org, 5)
    broadcast = make_broadcast(alice_org, body=NEWSLETTER["body"] + "\n\n" + NEWS)  # long: a pixel
    assert broadcasts.send_now(db.session, broadcast, actor_id=None, now=START) == 5
    db.session.commit()
    assert process_due(app, now=START, test_mode=False).sent == 5
    assert smtp_sink.wait_for(5)
    sends = {s.message_id: s for s in db.session.scalars(select(Send))}
    secret = app.config["SECRET_KEY"]
    for received in smtp_sink.messages:
        plain, html = assert_valid(received.content)
        message = received.message
        send = sends[message["Message-ID"]]
        assert message["To"] == send.to == received.rcpt_tos[0]
        assert message["Subject"] == "News for you, Contact"
        unsubscribe = f"/u/{make_token(secret, 'unsubscribe', send.id)}"
        assert message["List-Unsubscribe"].endswith(f"{unsubscribe}>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe in plain.get_content() and unsubscribe in html.get_content()
        assert f"/c/{make_token(secret, 'click', send.id, 0)}" in html.get_content()
        assert f"/o/{make_token(secret, 'open', send.id)}.gif" in html.get_content()
