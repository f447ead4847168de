"""A small fake of Twilio's REST API on 127.0.0.1, for tests with the real `twilio` client.

Speaks enough of API 2010-04-01 for messages (create, fetch, list filtered by To/From/
DateSent) and for provisioning (create/fetch subaccounts, list them by FriendlyName,
search available numbers, buy an incoming number, list and update incoming numbers).
Requests are authenticated with HTTP Basic like Twilio: the master account's SID and
token, or a subaccount's own.

    server = FakeTwilio().start()          # server.base_url -> "http://127.0.0.1:<port>"
    server.fail_next(429, retry_after=7)   # the next request gets a 429 (times=N for more)
    server.fail_next(400, code=21211)      # Twilio's "invalid 'To'" error
    server.invalid_numbers.add("+15005550001"); server.unsubscribed.add(...)
    server.delay_next(3.0)                 # the next request is handled, then answered late
    server.requests                        # every request: method, path, query, form, auth

`use_twilio(app, server)` points the app's TWILIO_* settings at it.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

API = "/2010-04-01"
ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+15005550006"


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _now() -> str:
    return format_datetime(datetime.now(UTC), usegmt=True)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    auth: tuple[str, str] | None


@dataclass
class Failure:
    status: int
    code: int | None = None
    message: str | None = None
    retry_after: float | None = None


@dataclass
class _State:
    accounts: dict[str, dict] = field(default_factory=dict)
    messages: dict[str, dict] = field(default_factory=dict)
    numbers: dict[str, dict] = field(default_factory=dict)


class FakeTwilio:
    """The fake server (a ThreadingHTTPServer in a daemon thread); see the module docstring."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.state = _State()
        self.state.accounts[account_sid] = self._account(
            account_sid, auth_token, "Main account", None
        )
        self.requests: list[Recorded] = []
        self.failures: deque[Failure] = deque()
        self.delays: deque[float] = deque()
        self.invalid_numbers: set[str] = set()
        self.unsubscribed: set[str] = set()
        self.available: list[str] = ["+15005550010", "+15005550011", "+15005550012"]
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._sockets: set[socket.socket] = set()

    # --- control -------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open keep-alive connections (clients see the server gone)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for sock in list(self._sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._sockets.clear()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(
        self,
        status: int,
        *,
        code: int | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        for _ in range(times):
            self.failures.append(Failure(status, code, message, retry_after))

    def delay_next(self, seconds: float) -> None:
        """Handle the next request, then wait `seconds` before answering (a read timeout)."""
        self.delays.append(seconds)

    def set_status(self, sid: str, status: str, error_code: int | None = None) -> None:
        with self.lock:
            self.state.messages[sid].update(
                status=status, error_code=error_code, date_updated=_now()
            )

    def posted(self, suffix: str = "/Messages.json") -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(suffix)]

    @property
    def messages(self) -> list[dict]:
        return list(self.state.messages.values())

    # --- resources -----------------------------------------------------------------------

    def _account(self, sid: str, token: str, name: str, owner: str | None) -> dict:
        return {
            "sid": sid,
            "auth_token": token,
            "friendly_name": name,
            "status": "active",
            "type": "Full",
            "owner_account_sid": owner or sid,
            "date_created": _now(),
            "date_updated": _now(),
            "uri": f"{API}/Accounts/{sid}.json",
            "subresource_uris": {},
        }

    def _authorised(self, auth: tuple[str, str] | None, account: str) -> bool:
        if auth is None:
            return False
        user, token = auth
        master = (user, token) == (self.account_sid, self.auth_token)
        own = user == account and self.state.accounts.get(account, {}).get("auth_token") == token
        return master or own

    def handle(
        self, method: str, path: str, query: dict, form: dict, auth: tuple[str, str] | None
    ) -> tuple[int, dict, dict]:
        """(status, body, headers) for one request; the routing of the fake API."""
        with self.lock:
            self.requests.append(Recorded(method, path, query, form, auth))
            if self.failures:
                failure = self.failures.popleft()
                return _error(failure.status, failure.code, failure.message, failure.retry_after)
            parts = path.removeprefix(API).strip("/").split("/")
            if parts == ["Accounts.json"] and method == "POST":
                if auth is None or auth != (self.account_sid, self.auth_token):
                    return _error(401, 20003, "Authenticate")
                sid = _sid("AC")
                self.state.accounts[sid] = self._account(
                    sid, secrets.token_hex(16), form.get("FriendlyName", sid), self.account_sid
                )
                return 201, self.state.accounts[sid], {}
            if parts == ["Accounts.json"] and method == "GET":
                if auth is None or auth != (self.account_sid, self.auth_token):
                    return _error(401, 20003, "Authenticate")
                rows = [
                    a
                    for a in self.state.accounts.values()
                    if a["owner_account_sid"] == self.account_sid
                ]
                if query.get("FriendlyName"):
                    rows = [a for a in rows if a["friendly_name"] == query["FriendlyName"]]
                return 200, _page("accounts", rows, f"{API}/Accounts.json"), {}
            if len(parts) < 2 or parts[0] != "Accounts":
                return _error(404, 20404, "The requested resource was not found")
            account = parts[1].removesuffix(".json")
            if not self._authorised(auth, account):
                return _error(401, 20003, "Authenticate")
            if account not in self.state.accounts:
                return _error(
                    404, 20404, f"The requested resource /Accounts/{account} was not found"
                )
            return self._route(method, account, parts[2:], query, form)

    def _route(
        self, method: str, account: str, rest: list[str], query: dict, form: dict
    ) -> tuple[int, dict, dict]:
        if not rest:
            return 200, self.state.accounts[account], {}
        if rest == ["Messages.json"]:
            return (
                self._create_message(account, form)
                if method == "POST"
                else self._list_messages(account, query)
            )
        if len(rest) == 2 and rest[0] == "Messages":
            message = self.state.messages.get(rest[1].removesuffix(".json"))
            if message is None or message["account_sid"] != account:
                return _error(404, 20404, "The requested resource was not found")
            return 200, message, {}
        if len(rest) == 3 and rest[0] == "AvailablePhoneNumbers":
            numbers = [
                {
                    "phone_number": n,
                    "friendly_name": n,
                    "iso_country": rest[1],
                    "capabilities": {"sms": True, "mms": False, "voice": True},
                }
                for n in self.available
            ]
            return 200, {"available_phone_numbers": numbers, "uri": "/".join(rest)}, {}
        if rest == ["IncomingPhoneNumbers.json"]:
            return (
                self._buy_number(account, form) if method == "POST" else self._list_numbers(account)
            )
        if len(rest) == 2 and rest[0] == "IncomingPhoneNumbers":
            number = self.state.numbers.get(rest[1].removesuffix(".json"))
            if number is None or number["account_sid"] != account:
                return _error(404, 20404, "The requested resource was not found")
            if method == "POST":
                number.update({_snake(k): v for k, v in form.items()})
            return 200, number, {}
        return _error(404, 20404, "The requested resource was not found")

    def _create_message(self, account: str, form: dict) -> tuple[int, dict, dict]:
        to = form.get("To", "")
        bare = to.removeprefix("whatsapp:")
        if not to or bare in self.invalid_numbers:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if bare in self.unsubscribed:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        if not form.get("From"):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not (form.get("Body") or form.get("ContentSid") or form.get("MediaUrl")):
            return _error(400, 21602, "Message body is required.")
        sid = _sid("SM")
        now = _now()
        message = {
            "sid": sid,
            "account_sid": account,
            "api_version": "2010-04-01",
            "to": to,
            "from": form["From"],
            "body": form.get("Body", ""),
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "num_media": "0",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "messaging_service_sid": None,
            "date_created": now,
            "date_updated": now,
            "date_sent": now,
            "status_callback": form.get("StatusCallback"),
            "uri": f"{API}/Accounts/{account}/Messages/{sid}.json",
            "subresource_uris": {"media": f"{API}/Accounts/{account}/Messages/{sid}/Media.json"},
        }
        self.state.messages[sid] = message
        return 201, message, {}

    def _list_messages(self, account: str, query: dict) -> tuple[int, dict, dict]:
        rows = [m for m in self.state.messages.values() if m["account_sid"] == account]
        if query.get("To"):
            rows = [m for m in rows if m["to"] == query["To"]]
        if query.get("From"):
            rows = [m for m in rows if m["from"] == query["From"]]
        rows.reverse()  # newest first, like Twilio
        return 200, _page("messages", rows, f"{API}/Accounts/{account}/Messages.json"), {}

    def _buy_number(self, account: str, form: dict) -> tuple[int, dict, dict]:
        wanted = form.get("PhoneNumber")
        if wanted not in self.available:
            return _error(400, 21422, f"PhoneNumber {wanted} is not available.")
        self.available.remove(wanted)
        sid = _sid("PN")
        number = {
            "sid": sid,
            "account_sid": account,
            "phone_number": wanted,
            "friendly_name": wanted,
            "capabilities": {"sms": True, "voice": True},
            "date_created": _now(),
            "uri": f"{API}/Accounts/{account}/IncomingPhoneNumbers/{sid}.json",
        }
        number.update({_snake(k): v for k, v in form.items() if k != "PhoneNumber"})
        self.state.numbers[sid] = number
        return 201, number, {}

    def _list_numbers(self, account: str) -> tuple[int, dict, dict]:
        rows = [n for n in self.state.numbers.values() if n["account_sid"] == account]
        return (
            200,
            _page(
                "incoming_phone_numbers",
                rows,
                f"{API}/Accounts/{account}/IncomingPhoneNumbers.json",
            ),
            {},
        )


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _page(key: str, rows: list[dict], uri: str) -> dict:
    return {
        key: rows,
        "first_page_uri": uri,
        "next_page_uri": None,
        "previous_page_uri": None,
        "page": 0,
        "page_size": 50,
        "start": 0,
        "end": max(len(rows) - 1, 0),
        "uri": uri,
    }


def _error(
    status: int,
    code: int | None = None,
    message: str | None = None,
    retry_after: float | None = None,
) -> tuple[int, dict, dict]:
    body = {
        "status": status,
        "code": code,
        "message": message or f"Fake Twilio answered {status}.",
        "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
    }
    headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
    return status, body, headers


def _handler(server: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            return None

        def setup(self) -> None:
            super().setup()
            server._sockets.add(self.connection)

        def finish(self) -> None:
            server._sockets.discard(self.connection)
            super().finish()

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            auth = None
            header = self.headers.get("Authorization", "")
            if header.startswith("Basic "):
                user, _, token = base64.b64decode(header[6:]).decode().partition(":")
                auth = (user, token)
            status, body, headers = server.handle(method, parts.path, query, form, auth)
            delay = server.delays.popleft() if server.delays else 0.0
            if delay:
                time.sleep(delay)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio().start()
    try:
        yield server
    finally:
        server.stop()


def use_twilio(app, server: FakeTwilio, **overrides) -> None:
    """Point the app's TWILIO_* settings at the fake (and its credentials)."""
    app.config.update(
        TWILIO_ACCOUNT_SID=server.account_sid,
        TWILIO_AUTH_TOKEN=server.auth_token,
        TWILIO_FROM=FROM_NUMBER,
        TWILIO_WHATSAPP_FROM=None,
        TWILIO_API_BASE=server.base_url,
        TWILIO_TIMEOUT_SECONDS=5,
    )
    app.config.update(overrides)
