"""The three kinds of mail the product sends — a sequence message, a weekly report, a health
alert — captured from a real SMTP server and parsed under the email package's strict
policy: the headers inbox providers look for (List-Id, Feedback-ID, Auto-Submitted,
List-Unsubscribe), Message-IDs on the sender's domain that name nobody, encoded words of
at most 75 characters, and the postal address in the marketing footer."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

from jobs.runner import run_job
from tests.conftest import START, add_member, make_user
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from tests.messaging.factories import make_contact, make_sequence
from tests.ops.test_alert_emails import late_jobs
from tests.reporting.test_weekly_report_job import autopilot
from webapp.core.extensions import db
from webapp.services.accounts import set_postal_address
from webapp.services.messaging.dispatch import process_due

smtp_sink = smtp_server.smtp_sink  # the fixture

SENDER = '"Smith, Jones & Co" <hello@smithjones.example>'
ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
MESSAGE_ID = re.compile(r"^<[0-9a-f]{32}@smithjones\.example>$")


def strict(content: bytes):
    """The message parsed under the strict policy (raises on any defect), with its lines checked."""
    assert b"\n" not in content.replace(b"\r\n", b"")
    assert max(len(line) for line in content.split(b"\r\n")) <= 998
    for word in ENCODED_WORD.findall(content):
        assert len(word) <= 75, word
    for line in content.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if ENCODED_WORD.search(line):
            assert len(line) <= 76, line
    message = message_from_bytes(content, policy=policy.strict)
    assert not message.defects
    return message


def assert_ours(message, received) -> None:
    assert received.mail_from == "hello@smithjones.example"  # never a word of the name
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Smith, Jones & Co", received.mail_from)
    assert MESSAGE_ID.match(message["Message-ID"]), message["Message-ID"]
    assert received.rcpt_tos[0] not in message["Message-ID"]


def test_a_sequence_mail_is_marked_as_a_list_with_the_postal_address_in_its_footer(
    app, alice_org, smtp_sink
):
    use_smtp(app, smtp_sink, SMTP_FROM=SENDER, EMAIL_PER_MINUTE=0)
    set_postal_address(
        db.session, alice_org, "12 Baker Street, Leeds LS1 4AB, UK", actor_id=None, now=START
    )
    db.session.commit()
    campaign = make_sequence(alice_org, name="Bienvenue chez Zoë — une très longue séquence")
    make_contact(alice_org, email="ana@example.com", name="Zoë Ünïcödé-Långnamé Brïghtöñ")
    assert process_due(app, now=START, test_mode=False).sent == 1
    assert smtp_sink.wait_for(1)
    [received] = smtp_sink.messages

    message = strict(received.content)
    assert_ours(message, received)
    assert message["List-Id"].endswith(f"<c{campaign.id}.o{alice_org.id}.smithjones.example>")
    assert "Bienvenue chez Zoë" in message["List-Id"]
    assert message["Feedback-ID"] == f"{campaign.id}:{alice_org.id}:sequence:autopilot"
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Auto-Submitted" not in message  # a person's marketing mail, not an automatic reply
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "12 Baker Street, Leeds LS1 4AB, UK" in plain
    assert "12 Baker Street, Leeds LS1 4AB, UK" in html


def test_a_report_mail_is_automatic_and_names_no_one_in_its_message_id(
    app, alice, alice_org, smtp_sink
):
    use_smtp(app, smtp_sink, SMTP_FROM=SENDER)
    autopilot(alice_org)
    assert run_job(app, "weekly_report").status == "succeeded"
    assert smtp_sink.wait_for(1)
    [received] = smtp_sink.messages

    message = strict(received.content)
    assert_ours(message, received)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Feedback-ID"].endswith(f":{alice_org.id}:report:autopilot")


def test_an_alert_mail_is_automatic_and_its_message_id_has_no_address(
    app, alice, alice_org, smtp_sink
):
    use_smtp(app, smtp_sink, SMTP_FROM=SENDER)
    ada = make_user("ada@example.com", "Ada Owner")
    add_member(ada, alice_org, "owner")
    late_jobs(alice_org)
    org_id = alice_org.id
    db.session.remove()
    assert run_job(app, "health_alerts").status == "succeeded"
    assert smtp_sink.wait_for(2)

    ids = set()
    for received in smtp_sink.messages:
        message = strict(received.content)
        assert_ours(message, received)
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Feedback-ID"] == f"queue_backed_up:{org_id}:alert:autopilot"
        assert "ada" not in message["Message-ID"] and "alice" not in message["Message-ID"]
        ids.add(message["Message-ID"])
    assert len(ids) == 2  # one per owner
