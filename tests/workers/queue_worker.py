"""A real queue worker process for tests/queue/test_queue_processes.py.

    python -m tests.workers.queue_worker MODE --url URL --owner NAME --ready FILE --go FILE …

Every mode builds the app on the given database, writes `--ready`, and waits for the
parent to create `--go` (a start barrier, so workers really run side by side). It uses
the real wall clock. Modes:

- drain:   claim(limit) → append each id to `--out` (flush + fsync) → complete → commit,
           until a claim comes back empty.
- hold:    claim one job with a short lease, commit, write its id and lease expiry to
           `--claimed`, then sleep "mid-job" until killed.
- reclaim: poll claim(limit=1) every 0.1 s, logging each attempt to `--out`, until a job
           is claimed; complete it and exit.

Exit codes: 0 done, 2 a deadline passed, 3 a lease was lost on complete.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from jobs.cli import build_app
from webapp import queue
from webapp.core.clock import system_now
from webapp.core.extensions import db


def write_atomically(path: Path, text: str) -> None:
    """The parent polls for these files: it must never see a half-written one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def wait_for_go(go: Path, deadline: float) -> None:
    while not go.exists():
        if time.monotonic() > deadline:
            sys.exit(2)
        time.sleep(0.01)


def drain(args: argparse.Namespace, deadline: float) -> int:
    with open(args.out, "a", encoding="ascii") as out:
        while time.monotonic() < deadline:
            jobs = queue.claim(db.session, args.owner, now=system_now(), limit=args.limit)
            db.session.commit()
            if not jobs:
                return 0
            for job in jobs:
                out.write(f"{job.id}\n")
                out.flush()
                os.fsync(out.fileno())
                if not queue.complete(
                    db.session, job.id, args.owner, now=system_now(), result={"by": args.owner}
                ):
                    return 3
                db.session.commit()
    return 2


def hold(args: argparse.Namespace, _deadline: float) -> int:
    jobs = queue.claim(db.session, args.owner, now=system_now(), limit=1, lease_seconds=args.lease)
    db.session.commit()
    claimed = [{"id": j.id, "lease_expires_at": j.lease_expires_at.isoformat()} for j in jobs]
    write_atomically(Path(args.claimed), json.dumps(claimed))
    while True:  # "mid-job" until the parent kills this process
        time.sleep(60)


def reclaim(args: argparse.Namespace, deadline: float) -> int:
    with open(args.out, "a", encoding="ascii") as out:
        while time.monotonic() < deadline:
            now = system_now()
            jobs = queue.claim(db.session, args.owner, now=now, limit=1)
            db.session.commit()
            out.write(json.dumps({"now": now.isoformat(), "ids": [j.id for j in jobs]}) + "\n")
            out.flush()
            if jobs:
                if not queue.complete(
                    db.session, jobs[0].id, args.owner, now=system_now(), result={"by": args.owner}
                ):
                    return 3
                db.session.commit()
                return 0
            time.sleep(0.1)
    return 2


MODES = {"drain": drain, "hold": hold, "reclaim": reclaim}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--url", required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--ready", required=True, type=Path)
    parser.add_argument("--go", required=True, type=Path)
    parser.add_argument("--out")
    parser.add_argument("--claimed")
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--lease", type=int, default=queue.DEFAULT_LEASE_SECONDS)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()

    deadline = time.monotonic() + args.timeout
    app = build_app({"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "x"})
    with app.app_context():
        write_atomically(args.ready, str(os.getpid()))
        wait_for_go(args.go, deadline)
        try:
            return MODES[args.mode](args, deadline)
        finally:
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
