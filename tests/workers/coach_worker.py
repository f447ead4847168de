"""A real coach worker process for tests/test_coach.py (one conversation, one worker).

    python -m tests.workers.coach_worker --url URL --owner NAME --ready FILE --go FILE --log FILE

Builds the app on the given database (outbox delivery, built-in writer, real clock), writes
`--ready`, waits for `--go` (a start barrier), then runs `coach.process_due` one follow-up at a time
until nothing is pending. Each message written is logged to `--log` as a JSON line with its
conversation and the moments the worker started writing it and recorded it (both while it
holds the conversation's lease), so the test can check no two workers overlapped.
Exit codes: 0 done, 2 the timeout passed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from jobs.cli import build_app
from webapp.clock import system_now
from webapp.extensions import db
from webapp.models import CoachFollowup
from webapp.services import coach, coach_process


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--ready", required=True, type=Path)
    parser.add_argument("--go", required=True, type=Path)
    parser.add_argument("--log", required=True, type=Path)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    app = build_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.url,
            "SECRET_KEY": "test-secret",
            "LOG_LEVEL": "WARNING",
            "OPENAI_API_KEY": None,
            "TWILIO_ACCOUNT_SID": None,
            "COACH_BATCH_SIZE": 1,
        }
    )
    log = args.log.open("a")
    started: dict[int, float] = {}
    real_write, real_record = coach_process.write_message, coach_process._Run.record

    def write(session, org_id, brief, *, now):  # noqa: ANN001, ANN202
        result = real_write(session, org_id, brief, now=now)
        return result

    def record(self, session, item, text, receipt, ai_provider, status):  # noqa: ANN001, ANN202
        row = {
            "conversation": item.conversation_id,
            "followup": item.id,
            "owner": args.owner,
            "start": started.pop(item.id),
            "end": time.time(),
        }
        log.write(json.dumps(row) + "\n")
        log.flush()
        return real_record(self, session, item, text, receipt, ai_provider, status)

    real_one = coach_process._Run.one

    def one(self, item, ctx, release):  # noqa: ANN001, ANN202
        started[item.id] = time.time()
        time.sleep(0.01)  # widen the window a second worker would need to overlap
        return real_one(self, item, ctx, release)

    coach_process.write_message = write
    coach_process._Run.record = record
    coach_process._Run.one = one

    with app.app_context():
        tmp = args.ready.with_name(args.ready.name + ".tmp")
        tmp.write_text(str(os.getpid()))
        os.replace(tmp, args.ready)
        while not args.go.exists():
            if time.monotonic() > deadline:
                return 2
            time.sleep(0.005)
        while time.monotonic() < deadline:
            coach.process_due(app, now=system_now(), owner=args.owner, deadline=deadline, limit=1)
            db.session.remove()
            with app.app_context():
                left = db.session.scalar(
                    select(func.count(CoachFollowup.id)).where(
                        CoachFollowup.status.in_(("pending", "processing")),
                        CoachFollowup.due_at <= system_now(),
                    )
                )
                db.session.remove()
            if not left:
                return 0
            time.sleep(0.005)
    return 2


if __name__ == "__main__":
    sys.exit(main())
