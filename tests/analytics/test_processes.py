"""A daily report across two real processes: each tick of theirs races the other's, yet
the report runs once a day and each recipient gets one email a day."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.analytics.factories import AFTER, DAY, make_report, seed_shop
from webapp.core.extensions import db
from webapp.models import AnalyticsReportRun, OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = [AFTER, AFTER + timedelta(hours=1), AFTER + timedelta(days=1)]


def _outcomes(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


@pytest.mark.slow
def test_a_daily_report_runs_once_a_day_across_two_processes(database_url, alice_org, tmp_path):
    seed_shop(alice_org)
    report = make_report(alice_org)
    db.session.commit()
    procs, results = [], []
    for name in ("a", "b"):
        result = tmp_path / f"{name}.jsonl"
        command = [
            sys.executable,
            "-m",
            "tests.workers.analytics_ticker",
            database_url,
            "--go",
            str(tmp_path / "go"),
            "--result",
            str(result),
        ]
        command += [arg for at in ROUNDS for arg in ("--at", at.isoformat())]
        err = open(tmp_path / f"{name}.err", "w")
        procs.append(
            (subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err), err)
        )
        results.append(result)
    try:
        for round_no in range(len(ROUNDS)):
            (tmp_path / f"go.{round_no}").touch()  # both processes tick at once
            deadline = time.monotonic() + 120
            while sum(len(_outcomes(r)) for r in results) < 2 * (round_no + 1):
                for proc, _err in procs:
                    assert proc.poll() is None or proc.returncode == 0, (
                        tmp_path / "a.err"
                    ).read_text()[-2000:] + (tmp_path / "b.err").read_text()[-2000:]
                assert time.monotonic() < deadline, "the tickers did not finish the round"
                time.sleep(0.05)
        for proc, err in procs:
            assert proc.wait(timeout=60) == 0
            err.close()
    finally:
        for proc, err in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            err.close()
    outcomes = [o for r in results for o in _outcomes(r)]
    assert all(o["status"] in ("succeeded", "locked", "already_ran") for o in outcomes), outcomes
    db.session.commit()  # a new snapshot: the processes wrote on their own connections
    runs = db.session.scalars(select(AnalyticsReportRun).order_by(AnalyticsReportRun.period)).all()
    assert [(r.report_id, r.period) for r in runs] == [
        (report.id, DAY.isoformat()),
        (report.id, (DAY + timedelta(days=1)).isoformat()),
    ]
    sent = db.session.execute(
        select(OutboxMessage.to, OutboxMessage.headers).where(
            OutboxMessage.org_id == alice_org.id, OutboxMessage.purpose == "analytics_report"
        )
    ).all()
    per_run = sorted((headers["X-Autopilot-Analytics-Run"], to) for to, headers in sent)
    assert per_run == sorted(
        (str(run.id), to) for run in runs for to in ("owner@shop.example", "team@shop.example")
    )
    assert all(run.emailed_to == ["owner@shop.example", "team@shop.example"] for run in runs)
    assert runs[0].figures["totals"]["revenue"] == 125.5
