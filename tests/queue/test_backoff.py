"""The one backoff (webapp/queue/backoff.py): exponential, with EQUAL jitter.

Its docstring says equal jitter — a uniform draw in [ceiling/2, ceiling] — and these tests
hold it to that: the bounds are reached at the ends of the random draw and never left.
"""

from __future__ import annotations

import random

import pytest

from webapp.queue.backoff import (
    BASE_DELAY_SECONDS,
    DEFAULT_BASE_DELAY_SECONDS,
    MAX_DELAY_SECONDS,
    backoff_seconds,
)


class Fixed(random.Random):
    """A "random" source that always draws the same number."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("attempts", "error_class", "ceiling"),
    [
        (1, "TRANSIENT_NETWORK", DEFAULT_BASE_DELAY_SECONDS),
        (2, "TRANSIENT_NETWORK", 2 * DEFAULT_BASE_DELAY_SECONDS),
        (4, "TRANSIENT_NETWORK", 8 * DEFAULT_BASE_DELAY_SECONDS),
        (1, "RATE_LIMITED", BASE_DELAY_SECONDS["RATE_LIMITED"]),
        (3, "INTEGRATION_OFFLINE", 4 * BASE_DELAY_SECONDS["INTEGRATION_OFFLINE"]),
        (40, "RATE_LIMITED", MAX_DELAY_SECONDS),
        (10_000, None, MAX_DELAY_SECONDS),
    ],
)
def test_the_draw_spans_half_the_ceiling_to_the_ceiling(
    attempts: int, error_class: str | None, ceiling: float
) -> None:
    assert backoff_seconds(attempts, error_class, Fixed(0.0)) == ceiling / 2
    assert backoff_seconds(attempts, error_class, Fixed(1.0)) == ceiling
    assert backoff_seconds(attempts, error_class, jitter=False) == ceiling


def test_the_distribution_stays_in_its_bounds_and_fills_them() -> None:
    rng = random.Random(11)
    ceiling = 8 * DEFAULT_BASE_DELAY_SECONDS
    samples = [backoff_seconds(4, "TRANSIENT_NETWORK", rng) for _ in range(2000)]
    assert all(ceiling / 2 <= s <= ceiling for s in samples)
    # Uniform over the upper half: both ends are reached and the middle is the mean.
    assert min(samples) < ceiling * 0.51 and max(samples) > ceiling * 0.99
    assert abs(sum(samples) / len(samples) - 0.75 * ceiling) < 0.02 * ceiling
    # Not full jitter: nothing comes back sooner than half the ceiling.
    assert not [s for s in samples if s < ceiling / 2]


def test_a_providers_retry_after_is_a_floor_capped_like_the_rest() -> None:
    assert backoff_seconds(1, "RATE_LIMITED", Fixed(1.0), retry_after=600) == 600
    assert backoff_seconds(3, "TRANSIENT_NETWORK", Fixed(1.0), retry_after=1) == 40
    assert backoff_seconds(1, None, retry_after=10**9) == MAX_DELAY_SECONDS


def test_a_caller_may_bring_its_own_base() -> None:
    assert backoff_seconds(3, base=60, jitter=False) == 240
    assert 120 <= backoff_seconds(3, base=60) <= 240
