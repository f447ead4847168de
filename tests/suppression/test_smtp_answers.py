"""SMTP refusals classified: real answers as Postfix, Gmail, Outlook (Exchange Online) and
Exim send them (the text as smtplib hands it over, continuation lines joined by newlines)."""

from __future__ import annotations

import pytest

from webapp.services.suppression import classify_smtp
from webapp.services.suppression.smtp_answers import enhanced_status

ANSWERS = [
    # --- Postfix 3.x
    (550, "5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table", "suppress"),
    (550, "5.1.1 <jo@example.org>: Recipient address rejected: User unknown in local recipient table", "suppress"),
    (554, "5.7.1 <dana@example.net>: Relay access denied", "hold"),
    (535, "5.7.8 Error: authentication failed: authentication failure", "hold"),
    (530, "5.7.0 Must issue a STARTTLS command first", "hold"),
    (454, "4.7.0 TLS not available due to local problem", "hold"),
    (553, "5.7.1 <shop@example.com>: Sender address rejected: not owned by user alice", "hold"),
    (451, "4.7.1 <dana@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html", "retry"),
    (452, "4.2.2 <dana@example.org>: Recipient address rejected: Mailbox full", "retry"),
    (552, "5.3.4 Message size exceeds fixed limit", "fail"),
    # --- Gmail
    (550, "5.1.1 The email account that you tried to reach does not exist. Please try\n5.1.1 double-checking the recipient's email address for typos or\n5.1.1 unnecessary spaces. Learn more at\n5.1.1  https://support.google.com/mail/?p=NoSuchUser d2e1a72fcca58-7b9 - gsmtp", "suppress"),
    (550, "5.2.1 The email account that you tried to reach is disabled. Learn more at\n5.2.1  https://support.google.com/mail/?p=DisabledUser - gsmtp", "suppress"),
    (452, "4.2.2 The email account that you tried to reach is over quota. Please direct\n4.2.2 the recipient to\n4.2.2  https://support.google.com/mail/?p=OverQuotaTemp - gsmtp", "retry"),
    (552, "5.2.2 The email account that you tried to reach is over quota and inactive. - gsmtp", "retry"),
    (421, "4.7.0 [203.0.113.9] Our system has detected an unusual rate of\n4.7.0 unsolicited mail originating from your IP address. - gsmtp", "retry"),
    (550, "5.7.26 This mail is unauthenticated, which poses a security risk to the\n5.7.26 sender and Gmail users, and has been blocked. - gsmtp", "hold"),
    (535, "5.7.8 Username and Password not accepted. For more information, go to\n5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp", "hold"),
    (530, "5.7.0 Authentication Required. Learn more at\n5.7.0  https://support.google.com/mail/?p=WantAuthError - gsmtp", "hold"),
    # --- Outlook / Exchange Online
    (550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", "suppress"),
    (550, "5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT005.eop-EUR03.prod.protection.outlook.com]", "suppress"),
    (535, "5.7.139 Authentication unsuccessful, the user credentials were incorrect.", "hold"),
    (550, "5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.", "hold"),
    (554, "5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.", "fail"),
    (550, "5.7.60 SMTP; Client does not have permissions to send as this sender", "hold"),
    (451, "4.7.500 Server busy. Please try again later from [203.0.113.9]. (S77719)", "retry"),
    # --- Exim (no enhanced status codes by default)
    (550, "Unrouteable address", "suppress"),
    (550, "No Such User Here", "suppress"),
    (550, "Verification failed for <shop@example.com>\nSender verify failed", "hold"),
    (550, "relay not permitted", "hold"),
    (535, "Incorrect authentication data", "hold"),
    (451, "Temporary local problem - please try later", "retry"),
    (550, "Administrative prohibition", "fail"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "text", "action"), ANSWERS)
def test_real_answers_are_classified(code, text, action):
    verdict = classify_smtp(code, None, text)
    assert verdict.action == action, verdict.reason
    assert verdict.reason


def test_the_enhanced_status_given_wins_over_the_text():
    assert classify_smtp(550, "5.1.1", "Requested action not taken").action == "suppress"
    assert classify_smtp(550, "5.7.1", "Requested action not taken").action == "hold"


def test_the_enhanced_status_is_read_from_the_text():
    assert enhanced_status("5.1.10 RESOLVER.ADR.RecipientNotFound") == "5.1.10"
    assert enhanced_status("No Such User Here") is None
