"""One side of the abandoned-cart race, as a real process, for
tests/workflows/test_race_processes.py.

    python -m tests.workers.workflow_racer event|timeout --url URL --org ID --lead ID
        --at ISO --ready FILE --go FILE

Builds the app on the database with its clock fixed at `--at`, writes `--ready`, waits for
`--go` (the parent's start barrier), then either records `order.placed` for the cart
through the events service (whose receiver resolves the wait) and commits, or runs the
due workflow steps (the timeout's job). Exit 0 when done, 2 when the barrier never came.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from jobs.cli import build_app
from webapp.core.extensions import db
from webapp.services.events import ContactRef, EventIn, record_events
from webapp.services.workflows import run_due_steps


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["event", "timeout"])
    for name in ("--url", "--at", "--ready", "--go"):
        parser.add_argument(name, required=True)
    parser.add_argument("--org", type=int, required=True)
    parser.add_argument("--lead", type=int, required=True)
    args = parser.parse_args()
    at = datetime.fromisoformat(args.at)
    app = build_app(
        {"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "race", "CLOCK": lambda: at}
    )
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connected before the barrier
        db.session.rollback()
        Path(args.ready).write_text("ready")
        deadline = time.monotonic() + 60
        while not Path(args.go).exists():
            if time.monotonic() > deadline:
                return 2
            time.sleep(0.005)
        if args.mode == "event":
            item = EventIn(
                "order.placed", ContactRef(id=args.lead), {"cart_id": "c1"}, "race-order"
            )
            record_events(db.session, args.org, [item], now=at)
            db.session.commit()
        else:
            run_due_steps(db.engine, owner="racer", clock=lambda: at)
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
