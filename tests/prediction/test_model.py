"""The prediction model: wide on benchmarks alone, narrower as the workspace's own months
accumulate, pulled towards the workspace's own rates, and the same answer for the same seed."""

from __future__ import annotations

import random

from webapp.services.prediction.benchmarks import BENCHMARKS
from webapp.services.prediction.model import Period, binomial, forecast, rate_posterior

META = BENCHMARKS["meta_ads"]


def _months(n: int, ctr: float, cvr: float, cpm: float = META.cpm, spend: float = 1000.0):
    shown = int(spend / cpm * 1000)
    clicks = int(shown * ctr)
    return [Period(shown, clicks, int(clicks * cvr), spend) for _ in range(n)]


def _spread(r) -> float:
    return (r.high + 1) / (r.low + 1)


def _run(history, budget=1000.0, seed=1):
    return forecast(META, history, budget, rng=random.Random(seed))


def test_no_history_gives_a_wide_interval_that_narrows_with_data():
    none = _run([])
    some = _run(_months(2, META.ctr, META.cvr))
    many = _run(_months(8, META.ctr, META.cvr))
    assert (none.periods, some.periods, many.periods) == (0, 2, 8)
    for quantity in ("reach", "clicks", "conversions"):
        wide, mid, narrow = (_spread(getattr(f, quantity)) for f in (none, some, many))
        assert wide > mid > narrow, quantity
    assert _spread(none.conversions) > 4  # honest: benchmarks alone say little
    assert _spread(many.clicks) < _spread(none.clicks) / 2


def test_the_workspaces_own_rates_pull_the_median():
    budget = 2000.0
    shown = budget / META.cpm * 1000
    good = _run(_months(8, META.ctr * 2, META.cvr), budget)
    bench = _run([], budget)
    assert bench.clicks.median < shown * META.ctr * 1.3
    assert good.clicks.median > shown * META.ctr * 1.6
    assert good.clicks.low > bench.clicks.median  # eight good months are convincing


def test_the_interval_holds_the_median_and_the_same_seed_gives_the_same_answer():
    f = _run(_months(3, META.ctr, META.cvr), seed=7)
    for r in (f.reach, f.clicks, f.conversions):
        assert r.low <= r.median <= r.high
    assert f == _run(_months(3, META.ctr, META.cvr), seed=7)
    assert f != _run(_months(3, META.ctr, META.cvr), seed=8)


def test_a_zero_budget_brings_nothing():
    f = _run([], budget=0.0)
    assert (f.reach.high, f.clicks.high, f.conversions.high) == (0, 0, 0)


def test_the_rate_posterior_moves_towards_the_data_and_ignores_empty_periods():
    rates, cumulative = rate_posterior(0.02, [(400, 10_000)] * 6, 4.0, 16.0)
    median = rates[next(i for i, c in enumerate(cumulative) if c >= 0.5)]
    assert 0.03 < median < 0.045
    assert rate_posterior(0.02, [(0, 0)], 4.0, 16.0) == rate_posterior(0.02, [], 4.0, 16.0)


def test_the_binomial_draws_have_the_right_mean():
    rng = random.Random(3)
    for n, p in ((50, 0.3), (5000, 0.002), (100_000, 0.05)):
        draws = [binomial(rng, n, p) for _ in range(2000)]
        assert abs(sum(draws) / len(draws) - n * p) < 0.05 * n * p + 0.5
        assert all(0 <= d <= n for d in draws)
