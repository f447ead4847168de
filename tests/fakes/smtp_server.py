"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, for tests and benches.

    sink = SmtpSink().start()           # picks a free port first (aiosmtpd 1.4.6 fails with port=0)
    ... send to 127.0.0.1:sink.port ...
    sink.messages[0].message            # the parsed EmailMessage
    sink.connections                    # SMTP connections opened by clients

Switches, each flipped while it runs:
- `sink.refuse()` stops listening (connection refused) and `sink.resume()` listens again
  on the same port;
- `sink.answer_mail = "421 4.7.0 Try again later"` answers every MAIL FROM with that reply;
- `sink.require_auth(user, password)` advertises AUTH and wants those credentials
  (wrong ones get 535); `sink.reject_auth = True` refuses every login;
- `sink.reject_recipients.add(address)` answers RCPT TO for it with 550;
- `sink.drop_connections()` closes every open client connection (an idle-timeout drop);
- `sink.data_delay = seconds` sleeps before answering DATA (client timeouts).

The `smtp_sink` fixture starts one per test; `use_smtp(app, sink)` points the app at it.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]*>)", re.IGNORECASE | re.MULTILINE)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    message_id: str | None
    at: float = field(default_factory=time.monotonic)

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)  # type: ignore[return-value]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.sink.answer_mail:
            return self.sink.answer_mail
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.reject_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.data_delay:
            await asyncio.sleep(self.sink.data_delay)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        found = MESSAGE_ID.search(content.split(b"\r\n\r\n", 1)[0])
        received = Received(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            content,
            found.group(1).decode() if found else None,
        )
        with self.sink.arrived:
            self.sink.messages.append(received)
            self.sink.arrived.notify_all()
        if self.sink.reply_delay:  # received, not yet confirmed: a kill now loses the 250
            await asyncio.sleep(self.sink.reply_delay)
        return "250 Message accepted for delivery"


class _Controller(Controller):
    def __init__(self, sink: SmtpSink, **kwargs) -> None:
        self.sink = sink
        super().__init__(_Handler(sink), hostname="127.0.0.1", port=sink.port, **kwargs)

    def factory(self) -> SMTP:
        server = super().factory()
        self.sink._opened(server)
        return server


class SmtpSink:
    """An SMTP server in a thread of this process; see the module docstring."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[Received] = []
        self.arrived = threading.Condition()
        self.connections = 0
        self.answer_mail: str | None = None
        self.reject_recipients: set[str] = set()
        self.reject_auth = False
        self.credentials: tuple[str, str] | None = None
        self.data_delay = 0.0
        self.reply_delay = 0.0
        self._servers: list[SMTP] = []
        self._controller: _Controller | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> SmtpSink:
        kwargs: dict = {"ready_timeout": 10.0, "decode_data": False}
        if self.credentials is not None or self.reject_auth:
            kwargs.update(
                authenticator=self._authenticate, auth_require_tls=False, auth_required=False
            )
        self._controller = _Controller(self, **kwargs)
        self._controller.start()
        self.connections = 0  # start() itself connects once to check the server is up
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
            self._servers.clear()

    def refuse(self) -> None:
        """Stop listening: clients get 'connection refused' until `resume()`."""
        self.stop()

    def resume(self) -> None:
        if self._controller is None:
            self.start()

    def require_auth(self, username: str, password: str) -> None:
        self.credentials = (username, password)
        self.stop()
        self.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            not self.reject_auth
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, handled=False)

    def _opened(self, server: SMTP) -> None:
        self.connections += 1
        self._servers.append(server)

    def drop_connections(self) -> None:
        """Close every client connection from the server side."""
        controller = self._controller
        if controller is None:
            return
        done = threading.Event()

        def close_all() -> None:
            for server in self._servers:
                transport = getattr(server, "transport", None)
                if transport is not None:
                    transport.close()
            done.set()

        controller.loop.call_soon_threadsafe(close_all)
        done.wait(5)

    # --- reading -------------------------------------------------------------------------

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least `count` messages arrived; False on timeout."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.arrived.wait(left)
        return True

    def message_ids(self) -> list[str | None]:
        return [m.message_id for m in self.messages]

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


def use_smtp(app, sink: SmtpSink, **overrides) -> None:
    """Point the app's SMTP settings at `sink` (plain SMTP on loopback, short timeouts)."""
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=sink.port,
        SMTP_STARTTLS=False,
        SMTP_SSL=False,
        SMTP_USERNAME=None,
        SMTP_PASSWORD=None,
        SMTP_ALLOW_PLAIN_LOGIN=False,  # a test that signs in to the sink (no TLS) ticks it
        SMTP_FROM="Alice Bakes <hello@alicebakes.example>",
        SMTP_TIMEOUT_SECONDS=5,
    )
    app.config.update(overrides)
