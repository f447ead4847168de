"""A small OpenAI-compatible HTTP server on 127.0.0.1 for tests with the real `openai` client.

Script what it answers, one item per request to `POST /v1/chat/completions`,
`/v1/images/generations` or `/v1/audio/speech` (one queue, in the order requests come):

    server.script(reply_json({...}), reply_text("not json"), reply_status(401))
    server.script(reply_image(png_bytes), reply_audio(wav_bytes))

When the script runs out, `default` answers (a 500 unless set). Every request is kept in
`server.requests` (path, headers, parsed JSON body) so tests can count the POSTs.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict
    delay: float = 0.0  # seconds to wait before answering (timeouts)
    before: Callable[[], None] | None = None  # runs while the client waits (concurrency checks)
    raw: bytes | None = None  # a non-JSON body (speech), sent as `content_type`
    content_type: str = "application/json"


def reply_text(
    content: str, tokens_in: int = 100, tokens_out: int = 50, model: str = "gpt-4o-mini"
) -> Reply:
    """A 200 chat completion whose message content is `content` (valid JSON or not)."""
    return Reply(
        200,
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_790_000_000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        },
    )


def reply_json(data: dict, tokens_in: int = 100, tokens_out: int = 50) -> Reply:
    return reply_text(json.dumps(data), tokens_in, tokens_out)


def reply_status(status: int, message: str | None = None) -> Reply:
    """An error as OpenAI sends it (401 invalid key, 429 rate limit, 500 …)."""
    kinds = {401: "invalid_api_key", 429: "rate_limit_exceeded", 404: "model_not_found"}
    return Reply(
        status,
        {
            "error": {
                "message": message or f"Test server answered {status}.",
                "type": "invalid_request_error" if status < 500 else "server_error",
                "code": kinds.get(status),
            }
        },
    )


def reply_image(png: bytes) -> Reply:
    """A 200 from the images API with one base64 picture."""

    return Reply(
        200, {"created": 1_790_000_000, "data": [{"b64_json": base64.b64encode(png).decode()}]}
    )


def reply_audio(wav: bytes) -> Reply:
    """A 200 from the speech API: the audio bytes themselves."""
    return Reply(200, {}, raw=wav, content_type="audio/wav")


ROUTES = ("/chat/completions", "/images/generations", "/audio/speech")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict  # names lower-cased
    body: dict | None


@dataclass
class FakeOpenAI:
    host: str = "127.0.0.1"
    default: Reply = field(default_factory=lambda: reply_status(500))
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                reply = fake._next(
                    Recorded(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                if reply.before is not None:
                    reply.before()
                if reply.delay:
                    time.sleep(reply.delay)
                if not self.path.rstrip("/").endswith(ROUTES):
                    reply = reply_status(404, f"No route {self.path}")
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args) -> None:  # keep test output quiet
                return

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._server.server_port}/v1"

    @property
    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def _next(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            return self._script.popleft() if self._script else self.default

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
