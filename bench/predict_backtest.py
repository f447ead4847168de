"""Backtest of the campaign prediction (webapp/services/prediction/model.py).

Generated history for 300 workspaces, each with 0–8 past campaigns on Google or Meta ads,
time-ordered: the model is fitted on a workspace's past campaigns of a channel and predicts
its next campaign there from the planned budget. The generator is deliberately not the
model: advertisers and campaigns differ by log-normal factors (not Beta), rates drift over
time, CPMs have a season, and campaigns under-deliver their budget a little.

Prints `name: value` lines: the share of outcomes (reach, clicks, conversions) inside the
80 % interval for the model and for a naive pooled-rate baseline (the workspace's pooled
rates, or the benchmarks when it has none, with binomial noise only), and the median
absolute error of each one's median.

    python bench/predict_backtest.py            # evaluate PARAMS on the test seed
    python bench/predict_backtest.py --tune     # choose PARAMS on the train seed
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp.services.prediction.benchmarks import BENCHMARKS
from webapp.services.prediction.model import (
    PARAMS,
    Forecast,
    Params,
    Period,
    Range,
    binomial,
    cpm_predictive,
    forecast,
)

WORKSPACES = 300
TEST_SEED, TRAIN_SEED = 2026, 7
Z80 = 1.2816  # the normal's 90th percentile


@dataclass(frozen=True)
class Case:
    channel: str
    past: list[Period]
    budget: float
    actual: Period


def _campaign(rng: random.Random, ws: dict, channel: str, t: int) -> tuple[float, Period]:
    ctr_ws, cvr_ws, cpm_ws, drift = ws[channel]
    ctr = min(0.5, ctr_ws * math.exp(rng.gauss(0, 0.25) + drift * t))
    cvr = min(0.6, cvr_ws * math.exp(rng.gauss(0, 0.3)))
    cpm = cpm_ws * math.exp(rng.gauss(0, 0.2) + 0.1 * math.sin(t * math.pi / 6))
    budget = round(ws["budget"] * math.exp(rng.gauss(0, 0.35)), -1) or 10.0
    spend = budget * rng.uniform(0.9, 1.0)
    shown = int(spend / cpm * 1000)
    clicks = binomial(rng, shown, ctr)
    return budget, Period(shown, clicks, binomial(rng, clicks, cvr), round(spend, 2))


def generate(n: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        channels = rng.sample(sorted(BENCHMARKS), rng.choice((1, 2)))
        ws: dict = {"budget": math.exp(rng.uniform(math.log(300), math.log(8000)))}
        for ch in channels:
            b = BENCHMARKS[ch]
            ws[ch] = (
                b.ctr * math.exp(rng.gauss(0, 0.5)),
                b.cvr * math.exp(rng.gauss(0, 0.55)),
                b.cpm * math.exp(rng.gauss(0, 0.45)),
                rng.gauss(0, 0.04),
            )
        history = [(ch := rng.choice(channels), *_campaign(rng, ws, ch, t)) for t in range(9)]
        n_past = rng.randint(0, 8)
        channel, budget, actual = history[n_past]
        past = [p for ch, _b, p in history[:n_past] if ch == channel]
        cases.append(Case(channel, past, budget, actual))
    return cases


def naive(case: Case) -> Forecast:
    """Pooled rates as if known: the point and binomial noise only."""
    b, past = BENCHMARKS[case.channel], case.past
    imp = sum(p.impressions for p in past)
    clicks = sum(p.clicks for p in past)
    ctr = clicks / imp if imp and clicks else b.ctr
    cvr = sum(p.conversions for p in past) / clicks if clicks else b.cvr
    spend = sum(p.spend for p in past)
    cpm = spend / imp * 1000 if imp and spend else b.cpm
    shown = case.budget * 1000 / cpm

    def rng(mean: float, rate: float) -> Range:
        sd = math.sqrt(max(mean * (1 - rate), 0.0))
        return Range(max(0, round(mean - Z80 * sd)), round(mean), round(mean + Z80 * sd))

    reach = round(shown)
    return Forecast(
        Range(reach, reach, reach), rng(shown * ctr, ctr), rng(shown * ctr * cvr, ctr * cvr), 0
    )


def model(case: Case, params: Params, draws: int, seed: int) -> Forecast:
    rng = random.Random(seed)
    return forecast(
        BENCHMARKS[case.channel], case.past, case.budget, rng=rng, params=params, draws=draws
    )


def outcomes(case: Case, f: Forecast) -> list[tuple[Range, int]]:
    a = case.actual
    return [(f.reach, a.impressions), (f.clicks, a.clicks), (f.conversions, a.conversions)]


def interval_score(r: Range, y: int) -> float:
    """The 80 % interval score on log1p scale (lower is better: narrow and calibrated)."""
    lo, hi, v = math.log1p(r.low), math.log1p(r.high), math.log1p(y)
    return (hi - lo) + 10 * max(lo - v, 0) + 10 * max(v - hi, 0)


def summary(cases: list[Case], forecasts: list[Forecast]) -> dict[str, float]:
    pairs = [pair for c, f in zip(cases, forecasts, strict=True) for pair in outcomes(c, f)]
    out = {"coverage": sum(r.covers(y) for r, y in pairs) / len(pairs)}
    for i, name in enumerate(("reach", "clicks", "conversions")):
        mine = [outcomes(c, f)[i] for c, f in zip(cases, forecasts, strict=True)]
        out[f"coverage_{name}"] = sum(r.covers(y) for r, y in mine) / len(mine)
        out[f"mdae_{name}"] = statistics.median(abs(r.median - y) for r, y in mine)
    out["interval_score"] = statistics.fmean(interval_score(r, y) for r, y in pairs)
    return out


def tune() -> Params:
    """Choose the CPM spreads (analytic, on reach) then the two rate concentrations (Monte
    Carlo, on clicks and conversions) by the mean interval score on the train seed."""
    cases = generate(WORKSPACES, TRAIN_SEED)
    best_cpm = min(
        ((cb, cw) for cb in (0.3, 0.4, 0.5, 0.6) for cw in (0.15, 0.2, 0.25, 0.3, 0.4)),
        key=lambda s: _reach_score(cases, s),
    )
    scores = {}
    for a in (1.0, 2.0, 4.0, 8.0, 16.0):
        for b in (4.0, 8.0, 16.0, 32.0, 64.0):
            params = Params(a, b, *best_cpm)
            fs = [model(c, params, 400, i) for i, c in enumerate(cases)]
            pairs = [p for c, f in zip(cases, fs, strict=True) for p in outcomes(c, f)[1:]]
            scores[(a, b)] = statistics.fmean(interval_score(r, y) for r, y in pairs)
            print(f"tune_a{a:g}_b{b:g}_interval_score: {scores[(a, b)]:.4f}")
    a, b = min(scores, key=scores.get)
    return Params(a, b, *best_cpm)


def _reach_score(cases: list[Case], spreads: tuple[float, float]) -> float:
    params = Params(PARAMS.between, PARAMS.within, *spreads)
    total = 0.0
    for c in cases:
        mean, sd = cpm_predictive(BENCHMARKS[c.channel], c.past, params)
        log_shown = math.log(c.budget * 1000) - mean
        r = Range(*(int(math.exp(log_shown + z * sd)) for z in (-Z80, 0, Z80)))
        total += interval_score(r, c.actual.impressions)
    return total / len(cases)


def main() -> None:
    if "--tune" in sys.argv:
        chosen = tune()
        print(f"tuned_params: {chosen}")
        return
    cases = generate(WORKSPACES, TEST_SEED)
    started = time.perf_counter()
    mine = [model(c, PARAMS, 2000, i) for i, c in enumerate(cases)]
    seconds = time.perf_counter() - started
    base = summary(cases, [naive(c) for c in cases])
    ours = summary(cases, mine)
    print(f"workspaces: {len(cases)}")
    print(f"cases_without_history_on_channel: {sum(1 for c in cases if not c.past)}")
    print(f"params: {PARAMS}")
    print(f"predict_coverage_80: {ours['coverage']:.3f}")
    print(f"baseline_coverage_80: {base['coverage']:.3f}")
    for name in ("reach", "clicks", "conversions"):
        print(f"predict_coverage_80_{name}: {ours[f'coverage_{name}']:.3f}")
        print(f"baseline_coverage_80_{name}: {base[f'coverage_{name}']:.3f}")
    for name in ("reach", "clicks", "conversions"):
        print(f"predict_median_abs_error_{name}: {ours[f'mdae_{name}']:.1f}")
        print(f"baseline_median_abs_error_{name}: {base[f'mdae_{name}']:.1f}")
    print(f"predict_interval_score: {ours['interval_score']:.3f}")
    print(f"baseline_interval_score: {base['interval_score']:.3f}")
    print(f"predict_ms_per_forecast: {seconds / len(cases) * 1000:.1f}")
    empty = [i for i, c in enumerate(cases) if not c.past]
    rich = [i for i, c in enumerate(cases) if len(c.past) >= 4]
    for label, idx in (("no_history", empty), ("4plus_periods", rich)):
        if idx:
            s = summary([cases[i] for i in idx], [mine[i] for i in idx])
            print(f"predict_coverage_80_{label}: {s['coverage']:.3f} (n={len(idx)})")


if __name__ == "__main__":
    main()
