"""The one source of "now" for the edges (views, job runner, CLI).

Services take `now` as an argument; the edges ask this module. Tests travel in time by
setting `app.config["CLOCK"]` to a callable returning an aware UTC datetime.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, has_app_context


def system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current time, aware and in UTC, honouring an injected clock."""
    if has_app_context():
        clock: Callable[[], datetime] | None = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return system_now()
