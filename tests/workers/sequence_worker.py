"""A real sequence-dispatch worker process for tests/messaging/test_automation_reliability.py.

    python -m tests.workers.sequence_worker --url URL --smtp-port PORT --owner NAME --ready FILE --go FILE …

Builds the app on the given database with SMTP pointed at 127.0.0.1:PORT, writes
`--ready`, waits for the parent to create `--go` (a start barrier), then runs
`dispatch.process_due` with the real wall clock until no sequence job is pending or
processing (jobs leased by a dead worker come back when their lease expires), or the
timeout passes. Exit codes: 0 done, 2 the timeout passed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from jobs.cli import build_app
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import QueuedJob
from webapp.services.messaging import dispatch, step_jobs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--ready", required=True, type=Path)
    parser.add_argument("--go", required=True, type=Path)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--lease", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    deadline = time.monotonic() + args.timeout
    app = build_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.url,
            "SECRET_KEY": "test-secret",
            "LOG_LEVEL": "WARNING",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": args.smtp_port,
            "SMTP_STARTTLS": False,
            "SMTP_SSL": False,
            "SMTP_FROM": "Alice Bakes <hello@alicebakes.example>",
            "SMTP_TIMEOUT_SECONDS": 5,
            "EMAIL_PER_MINUTE": 0,
            "AUTOMATION_BATCH_SIZE": args.batch,
            "AUTOMATION_LEASE_SECONDS": args.lease,
        }
    )
    with app.app_context():
        tmp = args.ready.with_name(args.ready.name + ".tmp")
        tmp.write_text(str(os.getpid()))
        os.replace(tmp, args.ready)
        while not args.go.exists():
            if time.monotonic() > deadline:
                return 2
            time.sleep(0.01)
        try:
            while time.monotonic() < deadline:
                result = dispatch.process_due(
                    app, now=system_now(), owner=args.owner, test_mode=None
                )
                if result.batches:
                    continue
                left = db.session.scalar(
                    select(func.count())
                    .select_from(QueuedJob)
                    .where(
                        QueuedJob.kind == step_jobs.KIND,
                        QueuedJob.status.in_(("pending", "processing")),
                    )
                )
                db.session.commit()
                if not left:
                    return 0
                time.sleep(0.2)  # leased by someone else (or a dead worker whose lease will expire)
            return 2
        finally:
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
