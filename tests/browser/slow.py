"""Slow down chosen requests of the live server, so a browser test can act while an htmx
request is in flight (what a user on a slow connection does)."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, request


def slow_posts(app: Flask, wanted: Callable[[], bool], seconds: float = 1.5) -> None:
    """Every request for which `wanted()` is true waits `seconds` before it is handled.
    Call before the server answers its first request (Flask refuses hooks after it)."""

    def delay() -> None:
        if request.method == "POST" and wanted():
            time.sleep(seconds)

    app.before_request(delay)


def refreshing() -> bool:
    """A builder refresh: a choice that re-shows the rules or the workflow builder."""
    return (request.form.get("action") or "").startswith("refresh:")
