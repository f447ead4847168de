"""What the web and CLI see of the jobs: the registry, schedules in words, and run-now."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import Flask

from jobs.periods import next_run
from jobs.runner import RunOutcome, run_job
from jobs.schedule import JobSpec, registry

log = logging.getLogger(__name__)


class JobService:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.specs: dict[str, JobSpec] = registry()

    def describe(self, name: str) -> str:
        return self.specs[name].schedule.describe()

    def next_run(self, name: str, now: datetime) -> datetime | None:
        return next_run(self.specs[name].schedule, now)

    def run(
        self, name: str, *, trigger: str, actor_id: int | None = None, org_id: int | None = None
    ) -> RunOutcome:
        """Run now, in this thread, until done."""
        return run_job(self.app, name, trigger=trigger, actor_id=actor_id, org_id=org_id)

    def start(
        self,
        name: str,
        *,
        trigger: str,
        actor_id: int | None = None,
        org_id: int | None = None,
        wait: float = 10.0,
    ) -> RunOutcome:
        """Run on a background thread; return once it is running (or refused), not when done."""
        first: list[RunOutcome] = []
        ready = threading.Event()

        def claimed(outcome: RunOutcome) -> None:
            first.append(outcome)
            ready.set()

        def target() -> None:
            try:
                final = run_job(
                    self.app,
                    name,
                    trigger=trigger,
                    actor_id=actor_id,
                    org_id=org_id,
                    on_claimed=claimed,
                )
            except Exception as exc:  # e.g. the database refused the lock: say so, not "running"
                log.exception("job %s could not start", name)
                final = RunOutcome(
                    "failed", message=f"Could not start: {type(exc).__name__}: {exc}"
                )
            if not ready.is_set():
                claimed(final)

        threading.Thread(target=target, name=f"run-now:{name}", daemon=True).start()
        ready.wait(wait)
        return first[0] if first else RunOutcome("running")
