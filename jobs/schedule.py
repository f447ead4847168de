"""The registry of scheduled jobs and the in-process APScheduler that ticks them."""

from __future__ import annotations

import atexit
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from jobs.periods import EveryMinutes, Schedule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    title: str
    description: str
    schedule: Schedule
    func: Callable  # (JobContext) -> dict summary
    lock_ttl: timedelta = timedelta(seconds=90)
    heartbeat_seconds: float = 20.0
    per_org: bool = False  # a person may run it for one workspace


def registry() -> dict[str, JobSpec]:
    """Every scheduled job, by name. Later features add theirs here."""
    from jobs import housekeeping

    specs = [
        JobSpec(
            name="housekeeping",
            title="Housekeeping",
            description=(
                "Returns jobs of stopped workers to the queue, deletes finished queue rows "
                "and old run history."
            ),
            schedule=EveryMinutes(60, at_minute=5),
            func=housekeeping.run,
        ),
    ]
    return {spec.name: spec for spec in specs}


def node_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def start_scheduler(app: Flask) -> BackgroundScheduler:
    """Start APScheduler in this process (UTC, one instance per job, generous misfire grace).

    Many processes may do this: the runner's lease lock and period row make each slot run
    once. A 30-second node heartbeat tells health checks a scheduler is alive.
    """
    from jobs.nodes import beat, leave
    from jobs.runner import run_job

    service = app.extensions["jobs"]
    scheduler = BackgroundScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )
    for spec in service.specs.values():
        scheduler.add_job(
            run_job,
            trigger=spec.schedule.trigger(),
            args=[app, spec.name],
            id=spec.name,
            name=spec.title,
            misfire_grace_time=spec.schedule.misfire_grace_seconds,
        )
    me = node_id()
    scheduler.add_job(beat, "interval", seconds=30, args=[app, me], id="_node_heartbeat", misfire_grace_time=30)
    beat(app, me)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    atexit.register(lambda: (scheduler.shutdown(wait=False), leave(app, me)))
    log.info("scheduler started with jobs: %s", ", ".join(service.specs))
    return scheduler
