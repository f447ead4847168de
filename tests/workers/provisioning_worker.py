"""A real setup-runner process for tests/provisioning/test_provisioning_processes.py.

    python -m tests.workers.provisioning_worker --url URL --twilio BASE --org ID --owner NAME --ready FILE

Builds the app on the given database with the fake Twilio's master credentials, writes
`--ready`, then calls `provisioning.run_due` (the work engine's worker for setup steps)
for the workspace with the real wall clock until its latest run has ended (succeeded, or
failed with no retry left), or the timeout passes. A step whose job a killed process
leased is taken over once the lease (`--lease` seconds, PROVISIONING_LEASE_SECONDS)
expires. Exit codes: 0 finished, 2 the timeout passed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from jobs.cli import build_app
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.services.provisioning import pipeline as provisioning


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--twilio", required=True)
    parser.add_argument("--org", type=int, required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--ready", required=True, type=Path)
    parser.add_argument("--lease", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()

    deadline = time.monotonic() + args.timeout
    app = build_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.url,
            "SECRET_KEY": "test-secret",
            "LOG_LEVEL": "WARNING",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM": None,
            "TWILIO_API_BASE": args.twilio,
            "TWILIO_TIMEOUT_SECONDS": 60,
            "PUBLIC_URL": "https://autopilot.example.com",
            "PROVISIONING_LEASE_SECONDS": args.lease,
            "OPENAI_API_KEY": None,
            "SMTP_HOST": None,
        }
    )
    tmp = args.ready.with_name(args.ready.name + ".tmp")
    tmp.write_text(str(os.getpid()))
    os.replace(tmp, args.ready)
    try:
        while time.monotonic() < deadline:
            provisioning.run_due(app, now=system_now(), owner=args.owner, org_ids=[args.org])
            with app.app_context():
                run = provisioning.latest_runs(db.session, [args.org]).get(args.org)
                ended = run is not None and (
                    run.status == "succeeded"
                    or (run.status == "failed" and run.next_attempt_at is None)
                )
                db.session.remove()
            if ended:
                return 0
            time.sleep(0.2)  # a job leased by a process that may be dead: its lease will expire
        return 2
    finally:
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
