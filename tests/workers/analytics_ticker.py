"""The analytics job ticked in a process of its own, for tests/analytics/test_processes.py.

    python -m tests.workers.analytics_ticker URL --go PREFIX --result FILE --at ISO [--at ISO …]

Builds the app on URL; round i waits for the parent to create `PREFIX.i` (a start barrier,
so the processes' ticks really race), sets the clock to the i-th `--at`, runs the job
through `jobs.runner.run_job` and appends the outcome to `--result` as a JSON line.
Exit codes: 0 ticked every round, 2 a barrier's deadline passed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from jobs.cli import build_app
from jobs.runner import run_job

BARRIER_SECONDS = 60


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--go", required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--at", type=datetime.fromisoformat, action="append", required=True)
    args = parser.parse_args(argv)
    current = {"at": args.at[0], "since": time.monotonic()}

    def shared_clock() -> datetime:  # the round's instant, moving on in real time
        return current["at"] + timedelta(seconds=time.monotonic() - current["since"])

    app = build_app({"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "x", "CLOCK": shared_clock})
    for round_no, at in enumerate(args.at):
        go = Path(f"{args.go}.{round_no}")
        deadline = time.monotonic() + BARRIER_SECONDS
        while not go.exists():
            if time.monotonic() > deadline:
                return 2
            time.sleep(0.01)
        current.update(at=at, since=time.monotonic())
        outcome = run_job(app, "analytics_reports")
        line = {
            "pid": os.getpid(),
            "round": round_no,
            "status": outcome.status,
            "message": outcome.message,
        }
        with open(args.result, "a", encoding="utf-8") as result:
            result.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
