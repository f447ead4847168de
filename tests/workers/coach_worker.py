"""A real coach worker process for tests/coach/test_coach.py (one conversation, one worker;
a worker killed mid-follow-up).

    python -m tests.workers.coach_worker --url URL --owner NAME --ready FILE --go FILE
        [--log FILE] [--attempts FILE] [--lease SECONDS] [--twilio URL] [--openai URL]

Builds the app on the given database (outbox delivery and the built-in writer unless
`--twilio` / `--openai` point at the fake servers; real clock), writes `--ready`, waits
for `--go` (a start barrier), then runs `coach.process_due` one follow-up at a time until
no follow-up is due. `--lease` shortens the coach job kind's lease (a killed worker's job
is taken over sooner).

`--log`: each message written, as a JSON line with its conversation and the moments the
worker started writing it and recorded it (both while its job holds the conversation's
lock key), so the test can check no two workers overlapped.
`--attempts`: one JSON line per `process_due` call: when it began and ended, and how many
it sent.
Exit codes: 0 done, 2 the timeout passed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from jobs.cli import build_app
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import CoachFollowup
from webapp.queue import handlers
from webapp.services.coach import audience as coach
from webapp.services.coach import outcomes
from webapp.services.coach import process as coach_process
from webapp.services.coach.work import KIND


def _config(args: argparse.Namespace) -> dict:
    config = {
        "SQLALCHEMY_DATABASE_URI": args.url,
        "SECRET_KEY": "test-secret",
        "LOG_LEVEL": "WARNING",
        "OPENAI_API_KEY": None,
        "TWILIO_ACCOUNT_SID": None,
        "COACH_BATCH_SIZE": 1,
    }
    if args.twilio:
        config.update(
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_FROM=FROM_NUMBER,
            TWILIO_WHATSAPP_FROM=None,
            TWILIO_API_BASE=args.twilio,
            TWILIO_TIMEOUT_SECONDS=5,
        )
    if args.openai:
        config.update(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=args.openai)
    return config


def _log_spans(path: Path, owner: str) -> None:
    """Log when each message's writing started and when it was recorded."""
    log = path.open("a")
    started: dict[int, float] = {}
    real_send, real_record = coach_process._send, outcomes.record_message

    def send(item, batch):
        started[item.id] = time.time()
        time.sleep(0.01)  # widen the window a second worker would need to overlap
        return real_send(item, batch)

    def record(session, followup, *args, **kwargs):
        row = {
            "conversation": followup.conversation_id,
            "followup": followup.id,
            "owner": owner,
            "start": started.pop(followup.id),
            "end": time.time(),
        }
        log.write(json.dumps(row) + "\n")
        log.flush()
        return real_record(session, followup, *args, **kwargs)

    coach_process._send = send
    outcomes.record_message = record


def _due_left() -> int:
    left = db.session.scalar(
        select(func.count(CoachFollowup.id)).where(
            CoachFollowup.status.in_(("pending", "processing")),
            CoachFollowup.due_at <= system_now(),
        )
    )
    db.session.remove()
    return left


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--ready", required=True, type=Path)
    parser.add_argument("--go", required=True, type=Path)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--attempts", type=Path)
    parser.add_argument("--lease", type=int)
    parser.add_argument("--twilio")
    parser.add_argument("--openai")
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    app = build_app(_config(args))
    if args.log:
        _log_spans(args.log, args.owner)
    if args.lease:
        handlers.KINDS[KIND] = dataclasses.replace(handlers.KINDS[KIND], lease_seconds=args.lease)
    attempts = args.attempts.open("a") if args.attempts else None

    with app.app_context():
        tmp = args.ready.with_name(args.ready.name + ".tmp")
        tmp.write_text(str(os.getpid()))
        os.replace(tmp, args.ready)
        while not args.go.exists():
            if time.monotonic() > deadline:
                return 2
            time.sleep(0.005)
        while time.monotonic() < deadline:
            now = system_now()
            result = coach.process_due(app, now=now, owner=args.owner, deadline=deadline, limit=1)
            done = system_now()
            db.session.remove()
            if attempts is not None:
                line = {"now": now.isoformat(), "done": done.isoformat(), "sent": result.sent}
                attempts.write(json.dumps(line) + "\n")
                attempts.flush()
            with app.app_context():
                if not _due_left():
                    return 0
            time.sleep(0.05 if attempts is not None else 0.005)
    return 2


if __name__ == "__main__":
    sys.exit(main())
