"""The outbound webhook resolves its name once and connects to the address it checked:
a name that resolves inside is refused before any connection, a second answer of the
resolver (DNS rebinding) is never asked for, and TLS is verified for the URL's name."""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from webapp.services.workflows import outbound

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RUN = SimpleNamespace(id=7, workflow_id=3, lead_id=11, trigger={}, current_step="call")
REAL_GETADDRINFO = socket.getaddrinfo


class Resolver:
    """A resolver that answers `answers[name]` (one list per look-up, the last repeated)
    and asks the real one for anything else; it counts the look-ups of each name."""

    def __init__(self, answers: dict[str, list[list[str]]]):
        self.answers, self.asked = answers, []

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        self.asked.append(host)
        turn = min(self.asked.count(host), len(self.answers[host])) - 1
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
            for address in self.answers[host][turn]
        ]


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connection the webhook opens, refused (no network in these tests)."""
    opened: list[tuple] = []

    def refuse(address, *_args, **_kwargs):
        opened.append(address)
        raise ConnectionRefusedError(address)

    monkeypatch.setattr(outbound.socket, "create_connection", refuse)
    return opened


def test_a_name_that_resolves_to_loopback_is_refused_before_any_connection(
    app, monkeypatch, connections
):
    app.config["WORKFLOW_WEBHOOK_ALLOW_PRIVATE"] = False
    resolver = Resolver(
        {
            "hooks.example.test": [["127.0.0.1"]],
            "mixed.example.test": [["93.184.216.34", "10.1.2.3"]],
        }
    )
    monkeypatch.setattr(outbound.socket, "getaddrinfo", resolver)
    with app.app_context():
        called = outbound.call_webhook("https://hooks.example.test/hook", RUN, 1, now=NOW)
        mixed = outbound.call_webhook("https://mixed.example.test/hook", RUN, 1, now=NOW)
    assert not called.ok and called.reason == (
        "Refused: hooks.example.test is a private, loopback or link-local address."
    )
    assert not mixed.ok and "mixed.example.test is a private" in mixed.reason  # every address
    assert connections == []


def test_the_connection_goes_to_the_address_that_was_checked(app, monkeypatch, connections):
    # Public for the first look-up, loopback for any later one: the rebinding attack.
    resolver = Resolver({"rebind.example.test": [["93.184.216.34"], ["127.0.0.1"]]})
    monkeypatch.setattr(outbound.socket, "getaddrinfo", resolver)
    app.config["WORKFLOW_WEBHOOK_ALLOW_PRIVATE"] = False
    with app.app_context():
        called = outbound.call_webhook("https://rebind.example.test/hook", RUN, 1, now=NOW)
    assert resolver.asked == ["rebind.example.test"]  # resolved once
    assert connections == [("93.184.216.34", 443)]  # and connected to what was checked
    assert not called.ok and called.reason.endswith("failed: ConnectionRefusedError.")


def _certificate(folder, name: str) -> tuple[str, str]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@pytest.fixture
def named_server(tmp_path):
    """An HTTPS server on 127.0.0.1 whose certificate names hook.example.test; it keeps
    the SNI name, Host header and path of each request."""
    cert, key = _certificate(tmp_path, "hook.example.test")
    seen: list[dict] = []
    names: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append({"host": self.headers["Host"], "path": self.path})
            self.send_response(202)
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, cert, seen, names
    server.shutdown()


def test_the_pinned_call_verifies_tls_and_names_the_host_of_the_url(app, monkeypatch, named_server):
    port, cert, seen, names = named_server
    resolver = Resolver(
        {"hook.example.test": [["127.0.0.1"]], "other.example.test": [["127.0.0.1"]]}
    )
    monkeypatch.setattr(outbound.socket, "getaddrinfo", resolver)
    app.config.update(WORKFLOW_WEBHOOK_ALLOW_PRIVATE=True, WORKFLOW_WEBHOOK_CA_FILE=cert)
    with app.app_context():
        called = outbound.call_webhook(
            f"https://hook.example.test:{port}/hook?shop=1", RUN, 2, now=NOW
        )
        # The same address under a name the certificate does not carry: TLS refuses it.
        wrong = outbound.call_webhook(f"https://other.example.test:{port}/hook", RUN, 2, now=NOW)
    assert called == outbound.Called(True, "POST hook.example.test answered 202.")
    assert seen == [{"host": f"hook.example.test:{port}", "path": "/hook?shop=1"}]
    assert names[0] == "hook.example.test"
    assert not wrong.ok and "SSLCertVerificationError" in wrong.reason
    assert len(seen) == 1
