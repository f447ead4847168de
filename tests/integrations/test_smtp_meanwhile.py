"""The caller's work done during SMTP's first round trip (`SmtpConnection.send`'s
`meanwhile`: the dispatcher records the previous message there), against a real SMTP
server on 127.0.0.1: after MAIL FROM, before the message goes, once, and a failure of it
is the caller's, not the server's."""

from __future__ import annotations

import sqlite3

import pytest

from tests.fakes import smtp_server
from webapp.integrations.email import EmailMessageSpec, SmtpConnection, SmtpSettings
from webapp.integrations.resilience import IntegrationError

smtp_sink = smtp_server.smtp_sink  # the fixture


def connection(sink) -> SmtpConnection:
    return SmtpConnection(
        SmtpSettings(host="127.0.0.1", port=sink.port, starttls=False, timeout=5, helo="localhost")
    )


def spec(n: int) -> EmailMessageSpec:
    return EmailMessageSpec(to=f"c{n}@example.com", subject=f"Message {n}", text=f"Hello {n}")


def test_the_callers_work_runs_once_before_the_message_goes(smtp_sink):
    delivered_at_call: list[int] = []
    with connection(smtp_sink) as smtp:
        smtp.send(spec(1))
        assert smtp_sink.wait_for(1)
        smtp.send(spec(2), meanwhile=lambda: delivered_at_call.append(len(smtp_sink.messages)))
        smtp_sink.drop_connections()  # the next send finds the connection gone and reconnects
        smtp.send(spec(3), meanwhile=lambda: delivered_at_call.append(len(smtp_sink.messages)))
        assert smtp.connections_opened == 2

    assert smtp_sink.wait_for(3)
    assert delivered_at_call == [1, 2]  # each call once, before its own message arrived
    assert [m.rcpt_tos for m in smtp_sink.messages] == [[f"c{n}@example.com"] for n in (1, 2, 3)]


def test_a_failure_of_the_callers_work_comes_out_as_it_is_and_sends_nothing(smtp_sink):
    def lost_database() -> None:
        raise sqlite3.OperationalError("disk I/O error")

    with connection(smtp_sink) as smtp:
        smtp.send(spec(1))
        with pytest.raises(sqlite3.OperationalError):  # not an IntegrationError: SMTP is fine
            smtp.send(spec(2), meanwhile=lost_database)
        smtp.send(spec(3))  # on a new connection: the old one was left mid-command
        assert smtp.connections_opened == 2

    assert smtp_sink.wait_for(2)
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["c1@example.com"], ["c3@example.com"]]


def test_a_refused_sender_still_runs_the_callers_work_and_keeps_the_connection(smtp_sink):
    ran: list[bool] = []
    with connection(smtp_sink) as smtp:
        smtp.send(spec(1))
        smtp_sink.answer_mail = "550 5.7.1 Sender not allowed"
        with pytest.raises(IntegrationError):
            smtp.send(spec(2), meanwhile=lambda: ran.append(True))
        smtp_sink.answer_mail = None
        smtp.send(spec(3))
        assert smtp.connections_opened == 1  # RSET after the refusal, as smtplib does

    assert ran == [True]
    assert smtp_sink.wait_for(2)
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["c1@example.com"], ["c3@example.com"]]
