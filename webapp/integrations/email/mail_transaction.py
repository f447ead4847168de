"""One message's SMTP mail transaction (MAIL FROM, RCPT TO, DATA) with the caller's work
done while the server answers MAIL FROM: a dispatcher records the previous message there,
in a round trip that would otherwise be idle, and still before this message goes."""

from __future__ import annotations

import smtplib
from collections.abc import Callable


class CallerFailed(BaseException):
    """The caller's `meanwhile` work failed. A BaseException, so that the SMTP error handling
    (`except Exception`) never classifies it as the server's failure."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Once:
    """The caller's `meanwhile` work, run at most once (a re-sent message does not repeat it)."""

    def __init__(self, work: Callable[[], object] | None) -> None:
        self.work = work

    def run(self) -> None:
        work, self.work = self.work, None
        if work is not None:
            try:
                work()
            except Exception as exc:
                raise CallerFailed(exc) from exc


def send_overlapped(smtp: smtplib.SMTP, sender: str, to: str, mail: bytes, once: Once) -> None:
    """smtplib's `sendmail` for one ASCII recipient, with the caller's work done while the
    server answers MAIL FROM rather than after the message: the same commands, replies and
    errors (RSET after a refusal, the connection closed after a 421)."""
    smtp.ehlo_or_helo_if_needed()
    size = f" size={len(mail)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    smtp.putcmd("mail", f"FROM:{smtplib.quoteaddr(sender)}{size}")
    once.run()
    code, answer = smtp.getreply()
    if code != 250:
        end_transaction(smtp, code)
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    code, answer = smtp.rcpt(to)
    if code not in (250, 251):
        end_transaction(smtp, code)
        raise smtplib.SMTPRecipientsRefused({to: (code, answer)})
    code, answer = smtp.data(mail)
    if code != 250:
        end_transaction(smtp, code)
        raise smtplib.SMTPDataError(code, answer)


def end_transaction(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal, as smtplib's `sendmail`: RSET keeps the session usable; a 421 closes it."""
    if code == 421:
        smtp.close()
    else:
        smtp._rset()
