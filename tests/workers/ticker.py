"""A scheduler tick in a process of its own, for tests/jobs/test_scheduler_processes.py.

    python -m tests.workers.ticker URL JOB --out FILE --ready FILE --go PREFIX --result FILE \\
        --start ISO [--start ISO …] --epoch SECONDS [--sleep S] [--ttl S] [--heartbeat S]

Builds the app on URL and registers JOB (daily at 02:00 UTC): it appends
"<pid> <period> <run id>" to `--out` (flushed and fsynced, so a killed process leaves its
line), then works for `--sleep` seconds. The process writes `--ready`, then ticks once per
`--start`: round i waits for the parent to create `PREFIX.i` (a start barrier, so ticks
really race), calls `jobs.runner.run_job` and appends the outcome to `--result` as a JSON line.

In round i every process's clock reads the i-th `--start` plus the wall-clock seconds since
`--epoch`. So their periods agree, and leases expire in real time.

Exit codes: 0 ticked (whatever the outcome), 2 the barrier's deadline passed.
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
from jobs.periods import Daily
from jobs.runner import JobContext, run_job
from jobs.schedule import JobSpec

BARRIER_SECONDS = 60


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("job")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--go", required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--start", type=datetime.fromisoformat, action="append", required=True)
    parser.add_argument("--epoch", type=float, required=True)
    parser.add_argument("--sleep", type=float, default=1.0)
    parser.add_argument("--ttl", type=float, default=90.0)
    parser.add_argument("--heartbeat", type=float, default=20.0)
    return parser.parse_args(argv)


def work(args: argparse.Namespace):
    def job(ctx: JobContext) -> dict:
        with open(args.out, "a", encoding="ascii") as out:
            out.write(f"{os.getpid()} {ctx.period} {ctx.run_id}\n")
            out.flush()
            os.fsync(out.fileno())
        until = time.monotonic() + args.sleep
        while time.monotonic() < until:
            if ctx.lost.is_set():
                raise RuntimeError("lease lost")
            time.sleep(0.05)
        return {"pid": os.getpid()}

    return job


def main(argv: list[str]) -> int:
    args = parse(argv)
    current = {"start": args.start[0]}

    def shared_clock() -> datetime:
        return current["start"] + timedelta(seconds=time.time() - args.epoch)

    app = build_app({"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "x", "CLOCK": shared_clock})
    app.extensions["jobs"].specs[args.job] = JobSpec(
        name=args.job,
        title="Ticker test job",
        description="Appends a line per execution.",
        schedule=Daily(2),
        func=work(args),
        lock_ttl=timedelta(seconds=args.ttl),
        heartbeat_seconds=args.heartbeat,
    )
    args.ready.write_text(str(os.getpid()))
    for round_no, start in enumerate(args.start):
        go = Path(f"{args.go}.{round_no}")
        deadline = time.monotonic() + BARRIER_SECONDS
        while not go.exists():
            if time.monotonic() > deadline:
                return 2
            time.sleep(0.01)
        current["start"] = start
        outcome = run_job(app, args.job)
        line = {
            "pid": os.getpid(),
            "status": outcome.status,
            "run_id": outcome.run_id,
            "message": outcome.message,
        }
        with open(args.result, "a", encoding="utf-8") as result:
            result.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
