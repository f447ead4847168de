"""Outbound webhooks of a workflow step: HTTPS only, a 10 s timeout, no private, loopback,
link-local, multicast or reserved targets unless the deployment allows them
(WORKFLOW_WEBHOOK_ALLOW_PRIVATE), and an Idempotency-Key header so a retried call can be
recognised by the receiver.

The name is resolved ONCE: every address it resolves to is checked, and the connection
goes to a checked address (`_PinnedHTTPS`), with TLS verified, SNI and Host for the name
in the URL. Resolving again to connect would let a name that answers a public address to
the check and 127.0.0.1 to the connection (DNS rebinding) reach the inside. Redirects are
not followed (a redirect is another target, never checked).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, has_app_context

TIMEOUT_SECONDS = 10
REFUSED = "is a private, loopback or link-local address"


@dataclass(frozen=True)
class Called:
    ok: bool
    reason: str


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order (the call's one look-up)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _inside(text: str) -> bool:
    """Whether an address is not a public one (IPv4 inside IPv6 is judged as IPv4)."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def checked_addresses(host: str, port: int) -> tuple[list[str], str | None]:
    """(the addresses to connect to, None) or ([], why not): every address counts."""
    allow = has_app_context() and current_app.config.get("WORKFLOW_WEBHOOK_ALLOW_PRIVATE")
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        return [], f"{host} does not resolve"
    if not addresses:
        return [], f"{host} does not resolve"
    for text in addresses:
        try:
            inside = _inside(text)
        except ValueError:
            return [], f"{host} resolves to an unreadable address"
        if inside and not allow:
            return [], f"{host} {REFUSED}"
    return addresses, None


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked addresses only: the TCP connection goes to them (no second
    look-up), TLS verifies the certificate for the URL's name and sends it as SNI, and
    the Host header names it too."""

    def __init__(self, host: str, port: int, addresses: list[str], context: ssl.SSLContext):
        super().__init__(host, port, timeout=TIMEOUT_SECONDS, context=context)
        self.addresses = addresses

    def connect(self) -> None:
        error: OSError | None = None
        for address in self.addresses:
            try:
                sock = socket.create_connection((address, self.port), self.timeout)
                break
            except OSError as exc:
                error = exc
        else:
            raise error or OSError("no address to connect to")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if has_app_context() and current_app.config.get("WORKFLOW_WEBHOOK_CA_FILE"):
        context.load_verify_locations(current_app.config["WORKFLOW_WEBHOOK_CA_FILE"])
    return context


def call_webhook(url: str, execution, visit: int, *, now: datetime) -> Called:
    parts = urlsplit(url)
    try:
        port = parts.port or 443
    except ValueError:
        return Called(False, "Refused: the URL's port is not a number.")
    if parts.scheme != "https" or not parts.hostname:
        return Called(False, "Refused: only https:// URLs are called.")
    addresses, refused = checked_addresses(parts.hostname, port)
    if refused:
        return Called(False, f"Refused: {refused}.")
    body = json.dumps(
        {
            "execution_id": execution.id,
            "workflow_id": execution.workflow_id,
            "contact_id": execution.lead_id,
            "trigger": execution.trigger,
            "at": now.isoformat(),
        }
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"wf-{execution.id}-{execution.current_step}-{visit}",
    }
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedHTTPS(parts.hostname, port, addresses, _context())
    try:
        connection.request("POST", target, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return Called(False, f"POST {parts.hostname} failed: {type(exc).__name__}.")
    finally:
        connection.close()
    return Called(200 <= status < 300, f"POST {parts.hostname} answered {status}.")
