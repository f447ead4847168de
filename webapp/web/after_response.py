"""Work that starts once a response has gone out: the request's transaction is committed
and the person (or Twilio) is not kept waiting. The scheduled jobs are the safety net, so
such work may fail or never run (a crash) without anything being lost."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, after_this_request, current_app

log = logging.getLogger(__name__)


def run_after_response(what: str, work: Callable[[Flask], object]) -> None:
    """Call `work(app)` after this request's response is sent, if the request succeeded.
    `work` opens its own app context and sessions; its failure is logged, never raised."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def quietly() -> None:
        try:
            work(app)
        except Exception:
            log.exception("%s after the response failed", what)

    @after_this_request
    def _register(response):
        if response.status_code < 400:
            response.call_on_close(quietly)
        return response
