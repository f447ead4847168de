"""A small Graph API (Marketing API) server on 127.0.0.1 for tests with Meta's real
`facebook-business` SDK (its session's GRAPH URL pointed here).

It keeps one ad account with campaigns and daily insights, checks the access token and
the appsecret_proof the SDK sends, and answers:

    GET  /vX/me                          the token's user
    GET  /vX/act_<id>                    the account (name, status, currency)
    GET  /vX/act_<id>/campaigns          its campaigns
    POST /vX/act_<id>/campaigns          create a campaign
    GET  /vX/act_<id>/insights           daily rows per campaign in time_range
    GET  /vX/<campaign id>               a campaign's fields
    POST /vX/<campaign id>               update daily_budget / status

`fail_next(method, error_body, status, headers)` makes the next matching request answer an
error instead (a policy refusal, a rate limit); `token_valid = False` expires the token.
Every request is kept in `requests` (method, path, params).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Failure:
    method: str
    status: int
    body: dict
    headers: dict = field(default_factory=dict)


def graph_error(code: int, message: str, subcode: int | None = None, kind: str = "OAuthException"):
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "Atest"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


class MetaGraph:
    def __init__(self, *, token: str, app_secret: str, account_id: str = "1234567890") -> None:
        self.token, self.app_secret, self.account = token, app_secret, f"act_{account_id}"
        self.token_valid = True
        self.account_status = 1
        self.currency = "USD"
        self.campaigns: dict[str, dict] = {}
        self.insights: dict[tuple[str, str], dict] = {}  # (campaign id, day) -> row
        self.failures: list[Failure] = []
        self.requests: list[tuple[str, str, dict]] = []
        self._next_id = 23850000000000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> MetaGraph:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- scripting -----------------------------------------------------------------------

    def add_campaign(self, name: str, daily_budget: int, status: str = "ACTIVE") -> str:
        with self._lock:
            self._next_id += 1
            cid = str(self._next_id)
            self.campaigns[cid] = {
                "id": cid,
                "name": name,
                "status": status,
                "daily_budget": str(daily_budget),
            }
            return cid

    def set_day(self, campaign_id: str, day: str, **figures) -> None:
        """Figures: spend (str), impressions, clicks, purchases, purchase_value."""
        row = {
            "campaign_id": campaign_id,
            "date_start": day,
            "date_stop": day,
            "spend": str(figures.get("spend", "0")),
            "impressions": str(figures.get("impressions", 0)),
            "clicks": str(figures.get("clicks", 0)),
        }
        if figures.get("purchases"):
            row["actions"] = [
                {"action_type": "purchase", "value": str(figures["purchases"])},
                {"action_type": "omni_purchase", "value": str(figures["purchases"])},
                {"action_type": "link_click", "value": str(figures.get("clicks", 0))},
            ]
            row["action_values"] = [
                {"action_type": "omni_purchase", "value": str(figures.get("purchase_value", 0))}
            ]
        self.insights[(campaign_id, day)] = row

    def fail_next(self, method: str, body: dict, status: int = 400, headers=None) -> None:
        self.failures.append(Failure(method, status, body, dict(headers or {})))

    def posts(self) -> list[tuple[str, dict]]:
        return [(path, params) for method, path, params in self.requests if method == "POST"]

    # --- serving -------------------------------------------------------------------------

    def _handler(self):
        graph = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _params(self) -> dict:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    params.update(parse_qsl(self.rfile.read(length).decode()))
                return params

            def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method: str) -> None:
                params = self._params()
                path = urlsplit(self.path).path
                with graph._lock:
                    graph.requests.append((method, path, params))
                status, body, headers = graph._answer(method, path, params)
                self._send(status, body, headers)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler

    def _proof_ok(self, params: dict) -> bool:
        expected = hmac.new(
            self.app_secret.encode(), self.token.encode(), hashlib.sha256
        ).hexdigest()
        return params.get("appsecret_proof") == expected

    def _answer(self, method: str, path: str, params: dict) -> tuple[int, dict, dict]:
        if params.get("access_token") != self.token or not self.token_valid:
            return (
                400,
                graph_error(190, "Error validating access token: Session has expired.", 463),
                {},
            )
        if not self._proof_ok(params):
            return 400, graph_error(100, "Invalid appsecret_proof provided in the API argument"), {}
        for failure in list(self.failures):
            if failure.method == method:
                self.failures.remove(failure)
                return failure.status, failure.body, failure.headers
        parts = path.strip("/").split("/")[1:]  # drop the version
        if parts == ["me"]:
            return 200, {"id": "100", "name": "Autopilot system user"}, {}
        if not parts or (parts[0].startswith("act_") and parts[0] != self.account):
            return 400, graph_error(100, "Unsupported get request.", 33, "GraphMethodException"), {}
        if parts == [self.account]:
            body = {
                "id": self.account,
                "name": "Alice Bakes ads",
                "account_status": self.account_status,
            }
            return 200, {**body, "currency": self.currency, "timezone_name": "UTC"}, {}
        if parts == [self.account, "campaigns"]:
            return self._campaigns(method, params)
        if parts == [self.account, "insights"]:
            return 200, {"data": self._insights(params)}, {}
        if len(parts) == 1 and parts[0] in self.campaigns:
            campaign = self.campaigns[parts[0]]
            if method == "POST":
                for name in ("daily_budget", "status", "name"):
                    if name in params:
                        campaign[name] = params[name]
                return 200, {"success": True}, {}
            return 200, campaign, {}
        return 400, graph_error(100, "Unsupported request.", 33, "GraphMethodException"), {}

    def _campaigns(self, method: str, params: dict) -> tuple[int, dict, dict]:
        if method == "POST":
            cid = self.add_campaign(params["name"], int(params["daily_budget"]), params["status"])
            return 200, {"id": cid}, {}
        return 200, {"data": list(self.campaigns.values())}, {}

    def _insights(self, params: dict) -> list[dict]:
        assert params.get("level") == "campaign" and params.get("time_increment") == "1"
        window = json.loads(params["time_range"])
        return [
            row
            for (_cid, day), row in sorted(self.insights.items())
            if window["since"] <= day <= window["until"]
        ]
