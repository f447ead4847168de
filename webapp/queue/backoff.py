"""The one backoff of the work engine: how long a failed attempt waits before the next.

Every retry in the tree (queue jobs, coach follow-ups, provisioning steps) asks
`backoff_seconds`, so "how long do we wait" has one answer and one set of tests.
"""

from __future__ import annotations

import random

# Base delay per error class: a rate limit needs more air than a dropped connection.
BASE_DELAY_SECONDS = {"RATE_LIMITED": 60, "INTEGRATION_OFFLINE": 30}
DEFAULT_BASE_DELAY_SECONDS = 10
MAX_DELAY_SECONDS = 6 * 3600


def backoff_seconds(
    attempts: int,
    error_class: str | None = None,
    rng: random.Random | None = None,
    *,
    base: float | None = None,
    retry_after: float | None = None,
    jitter: bool = True,
) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: exponential, with equal jitter.

    The ceiling is base·2^(attempts-1), capped at MAX_DELAY_SECONDS; `base` defaults to the
    error class's (BASE_DELAY_SECONDS, else DEFAULT_BASE_DELAY_SECONDS). With `jitter` the
    wait is drawn uniformly from [ceiling/2, ceiling] — "equal jitter": half the ceiling is
    kept so a retry never comes back almost at once, the other half spreads jobs that failed
    together. (Not "full jitter", which would draw from [0, ceiling].) `jitter=False` gives
    the ceiling itself, for schedules that are shown to people and pinned by tests.

    Never sooner than `retry_after` (what the provider asked for), itself capped at
    MAX_DELAY_SECONDS.
    """
    if base is None:
        base = BASE_DELAY_SECONDS.get(str(error_class), DEFAULT_BASE_DELAY_SECONDS)
    ceiling = min(MAX_DELAY_SECONDS, base * 2 ** min(max(attempts - 1, 0), 32))
    delay = ceiling * (0.5 + (rng or random).random() / 2) if jitter else ceiling
    if retry_after is not None:
        delay = max(delay, min(float(retry_after), MAX_DELAY_SECONDS))
    return delay
