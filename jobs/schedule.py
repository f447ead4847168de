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

from jobs.periods import Daily, EveryMinutes, Schedule, Weekly

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
    from jobs import (
        automation,
        coach,
        health_alerts,
        housekeeping,
        orchestrator,
        provisioning,
        weekly_report,
    )

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
        JobSpec(
            name="orchestrator",
            title="Daily autopilot",
            description=(
                "Creates each active autopilot's campaigns from its strategy, adjusts their "
                "budgets by last week's results, and links new leads to their campaigns."
            ),
            schedule=Daily(2, 0),
            func=orchestrator.run,
            per_org=True,
        ),
        JobSpec(
            name="weekly_report",
            title="Weekly report",
            description=(
                "Reports last week's leads, spend, revenue and ROI with insights for each "
                "workspace with an autopilot, and emails it to the owners."
            ),
            schedule=Weekly(0, 9),
            func=weekly_report.run,
            per_org=True,
        ),
        JobSpec(
            name="automation",
            title="Sequences",
            description=(
                "Enrols new contacts into active sequences and sends the messages that are due, "
                "inside each sequence's allowed hours."
            ),
            schedule=EveryMinutes(15),
            func=automation.run,
            per_org=True,
        ),
        JobSpec(
            name="coach",
            title="WhatsApp coach",
            description=(
                "Gives each workspace's coach audience its first follow-up, then writes and sends "
                "the follow-ups and automatic replies that are due, inside the coach's time window."
            ),
            schedule=EveryMinutes(15),
            func=coach.run,
            per_org=True,
        ),
        JobSpec(
            name="health_alerts",
            title="Health alerts",
            description=(
                "Checks each workspace for a backed-up queue, a high failure rate, an AI cost spike "
                "or a low delivery rate, and tells the owners once per alert (activity feed and email)."
            ),
            schedule=EveryMinutes(15),
            func=health_alerts.run,
            per_org=True,
        ),
        JobSpec(
            name="provisioning",
            title="Workspace setup",
            description=(
                "Runs requested workspace setups (plan, Twilio subaccount and number, WhatsApp, "
                "email, defaults, connection tests), retries failed steps and resumes interrupted ones."
            ),
            schedule=EveryMinutes(10),
            func=provisioning.run,
            per_org=True,
        ),
    ]
    return {spec.name: spec for spec in specs}


def node_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def start_scheduler(app: Flask) -> BackgroundScheduler:
    """Start APScheduler in this process (UTC, one instance per job, generous misfire grace).

    Many processes may do this: the runner's lease lock and period row make each slot run
    once. Every minute each one looks for a run whose process died and takes it over. A
    30-second node heartbeat tells health checks a scheduler is alive.
    """
    from jobs.nodes import beat, leave
    from jobs.runner import resume_abandoned, run_job

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
    scheduler.add_job(
        resume_abandoned, "interval", seconds=60, args=[app], id="_resume_abandoned", misfire_grace_time=60
    )
    me = node_id()
    scheduler.add_job(beat, "interval", seconds=30, args=[app, me], id="_node_heartbeat", misfire_grace_time=30)
    beat(app, me)
    scheduler.start()

    def stop() -> None:
        if scheduler.running:  # shutdown() raises on a scheduler already stopped
            scheduler.shutdown(wait=False)
        leave(app, me)

    app.extensions["scheduler"] = scheduler
    app.extensions["scheduler_stop"] = stop
    atexit.register(stop)
    log.info("scheduler started with jobs: %s", ", ".join(service.specs))
    return scheduler


def stop_scheduler(app: Flask) -> None:
    """Stop this process's scheduler and withdraw its node row. A no-op if none is running."""
    stop = app.extensions.pop("scheduler_stop", None)
    app.extensions.pop("scheduler", None)
    if stop is not None:
        atexit.unregister(stop)
        stop()
