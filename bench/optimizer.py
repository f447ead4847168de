"""Benchmark: the product's own daily autopilot job as a policy of the shared market simulator.

    .venv/bin/python bench/optimizer.py [--markets 6] [--first 0] [--scenario all]
        [--mode learning|rules] [--sim ../shared/market_sim.py]

Each simulated market is a workspace in a throwaway database (a SQLite file, or PostgreSQL
with TEST_DATABASE_URL): an active autopilot with the monthly budget split equally by its
strategy. Every simulated morning the clock is set to that day and the real daily job runs
(the runner, its lock and run row, the orchestrator, the optimiser); the campaigns' budgets
it leaves are the policy's plan. Every evening the day's results go in through the product's
results import (the JSON API's rows). Months of the simulator are 28 days: day d is day
d % 28 + 1 of February, March and April 2027, so a calendar month is a simulated month.

Prints per scenario `optimizer_share_of_oracle_<scenario>:` and `optimizer_overspend_<scenario>:`
(the worst month's spend ÷ the monthly budget, worst market) and the baselines' figures from
the same markets. Market indices are the simulator's seeds: tune on some (--first 0), report on
others (--first 100).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.databases import fresh_database  # noqa: E402

START = datetime(2027, 1, 20, 6, 0, tzinfo=UTC)
LEAD_VALUE = Decimal("50.00")  # what the owner of a lead business says a lead is worth
CLOCK = {"now": START}  # the app's injected clock: the simulated morning being run


def load_sim(path: str):
    spec = importlib.util.spec_from_file_location("market_sim", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["market_sim"] = module
    spec.loader.exec_module(module)
    return module


def sim_date(day: int, month_days: int = 28) -> date:
    month, rest = divmod(day, month_days)
    return date(2027, 2 + month, rest + 1)


class ProductPolicy:
    """The daily job as a market_sim policy: one workspace per market."""

    def __init__(self, app, *, mode: str, lead_value: Decimal | None) -> None:
        self.app, self.mode, self.lead_value = app, mode, lead_value

    def start(self, channels: list[str], monthly_budget: float, days_in_month: int) -> dict:
        from webapp.core.extensions import db
        from webapp.models import AutopilotConfig, Organization

        self.month = days_in_month
        pct = Decimal(100) / len(channels)
        CLOCK["now"] = START
        with self.app.app_context():
            org = Organization(name="Simulated shop", timezone="UTC", created_at=START)
            db.session.add(org)
            db.session.flush()
            db.session.add(
                AutopilotConfig(
                    org_id=org.id, status="active", optimizer_mode=self.mode,
                    lead_value=self.lead_value, monthly_budget=Decimal(f"{monthly_budget:.2f}"),
                    strategy={"channels": [
                        {"channel": c, "percent": str(pct.quantize(Decimal("0.0001")))}
                        for c in channels
                    ]},
                    created_at=START, updated_at=START, activated_at=START,
                )
            )  # fmt: skip
            db.session.commit()
            self.org_id = org.id
        self._run(sim_date(0))
        self.budgets = self._budgets()
        return dict(self.budgets)

    def _run(self, day: date) -> None:
        from jobs.runner import run_job

        CLOCK["now"] = datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
        outcome = run_job(self.app, "orchestrator", trigger="manual", org_id=self.org_id)
        if outcome.status != "succeeded":
            raise RuntimeError(f"the daily job {outcome.status}: {outcome.message}")

    def _budgets(self) -> dict[str, float]:
        from webapp.core.extensions import db
        from webapp.models import Campaign

        with self.app.app_context():
            rows = db.session.execute(
                select(Campaign.channel, Campaign.id, Campaign.monthly_budget).where(
                    Campaign.org_id == self.org_id, Campaign.auto_managed.is_(True)
                )
            ).all()
            db.session.remove()
        self.ids = {channel: cid for channel, cid, _b in rows}
        return {channel: float(budget) for channel, _cid, budget in rows}

    def decide(self, day: int) -> dict[str, float] | None:
        if day == 0:
            return None  # the set-up run of start() was today's
        self._run(sim_date(day, self.month))
        budgets = self._budgets()
        changed = budgets != self.budgets
        self.budgets = budgets
        return dict(budgets) if changed else None

    def observe(self, day: int, rows: list[dict]) -> None:
        from webapp.core.extensions import db
        from webapp.services.reporting.ad_results import import_api_rows

        when = sim_date(day, self.month).isoformat()
        items = [
            {
                "campaign_id": self.ids[r["channel"]], "date": when,
                "spend": f"{r['spend']:.2f}", "clicks": int(r["clicks"]),
                "conversions": int(r["conversions"]), "revenue": f"{r['revenue']:.2f}",
            }
            for r in rows
        ]  # fmt: skip
        with self.app.app_context():
            report, _rows = import_api_rows(db.session, self.org_id, items, now=CLOCK["now"])
            if report.errors:
                raise RuntimeError(f"the results import refused rows: {report.errors[:3]}")
            db.session.commit()
            db.session.remove()


def run(sim, app, scenario: str, first: int, markets: int, mode: str) -> dict:
    lead_value = LEAD_VALUE if sim.SCENARIOS[scenario].leads else None
    factories = {
        "optimizer": lambda _m: ProductPolicy(app, mode=mode, lead_value=lead_value),
        "thompson": lambda _m: sim.Thompson(),
        "guarded_rules": lambda _m: sim.GuardedRules(),
        "static": lambda _m: sim.Static(),
    }
    outcomes: dict[str, list] = {name: [] for name in ("oracle", *factories)}
    for index in range(first, first + markets):
        market = sim.make_market(scenario, index)
        outcomes["oracle"].append(sim.run_market(market, sim.Oracle(market)))
        for name, make in factories.items():
            outcomes[name].append(sim.run_market(market, make(market)))
    return {name: sim._scores(runs, outcomes["oracle"]) for name, runs in outcomes.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", type=int, default=6, help="markets per scenario")
    parser.add_argument("--first", type=int, default=100, help="index of the first market")
    parser.add_argument("--scenario", default="all")
    parser.add_argument("--mode", default="learning", choices=("learning", "rules"))
    parser.add_argument("--sim", default=str(ROOT.parent / "shared" / "market_sim.py"))
    args = parser.parse_args()
    sim = load_sim(args.sim)
    scenarios = list(sim.SCENARIOS) if args.scenario == "all" else [args.scenario]

    from flask_migrate import upgrade

    from jobs.cli import build_app

    url, drop = fresh_database("optimizer")
    app = build_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "CLOCK": lambda: CLOCK["now"],
            "SCHEDULER_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        with app.app_context():
            upgrade()
        began = time.perf_counter()
        for scenario in scenarios:
            _report(sim, app, scenario, args)
        print(
            f"{args.markets} markets x {len(scenarios)} scenarios: {time.perf_counter() - began:.1f}s"
        )
    finally:
        drop()


def _report(sim, app, scenario: str, args) -> None:
    scores = run(sim, app, scenario, args.first, args.markets, args.mode)
    print(f"optimizer_share_of_oracle_{scenario}: {scores['optimizer']['share']:.3f}")
    print(f"optimizer_overspend_{scenario}: {scores['optimizer']['worst_max']:.3f}")
    for name in ("thompson", "guarded_rules", "static"):
        print(f"{name}_share_of_oracle_{scenario}: {scores[name]['share']:.3f}")
        print(f"{name}_overspend_{scenario}: {scores[name]['worst_max']:.3f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
