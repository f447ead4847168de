"""The bounce mailbox's POP3-over-TLS server, trusted through BOUNCE_MAILBOX_CAFILE."""

from __future__ import annotations

import pytest

from tests.fakes.pop3_server import Pop3Server
from tests.fakes.tls import make_cert


@pytest.fixture
def pop3(tmp_path, app):
    cert = make_cert(tmp_path)
    app.config["BOUNCE_MAILBOX_CAFILE"] = str(cert.cert_file)
    server = Pop3Server(cert).start()
    yield server
    server.stop()
