"""The registry of scheduled jobs and the in-process APScheduler that ticks them."""

from __future__ import annotations

import atexit
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

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


SPECS = [  # every scheduled job; `module` is the jobs/ module whose `run` it calls
    dict(
        name="housekeeping",
        title="Housekeeping",
        description=(
            "Returns jobs of stopped workers to the queue, deletes finished queue rows, "
            "old run history, and contacts' events past the workspace's retention."
        ),
        schedule=EveryMinutes(60, at_minute=5),
        module="housekeeping",
    ),
    dict(
        name="orchestrator",
        title="Daily autopilot",
        description=(
            "Creates each active autopilot's campaigns from its strategy, adjusts their "
            "budgets by last week's results, and links new leads to their campaigns."
        ),
        schedule=Daily(2, 0),
        module="orchestrator",
        per_org=True,
    ),
    dict(
        name="weekly_report",
        title="Weekly report",
        description=(
            "Reports last week's leads, spend, revenue and ROI with insights for each "
            "workspace with an autopilot, and emails it to the owners."
        ),
        schedule=Weekly(0, 9),
        module="weekly_report",
        per_org=True,
    ),
    dict(
        name="automation",
        title="Sequences",
        description=(
            "Enrols new contacts into active sequences and sends the messages that are due, "
            "inside each sequence's allowed hours."
        ),
        schedule=EveryMinutes(15),
        module="automation",
        per_org=True,
    ),
    dict(
        name="coach",
        title="WhatsApp coach",
        description=(
            "Gives each workspace's coach audience its first follow-up, then writes and sends "
            "the follow-ups and automatic replies that are due, inside the coach's time window."
        ),
        schedule=EveryMinutes(15),
        module="coach",
        per_org=True,
    ),
    dict(
        name="health_alerts",
        title="Health alerts",
        description=(
            "Checks each workspace for a backed-up queue, a high failure rate, an AI cost spike "
            "or a low delivery rate, and tells the owners once per alert (activity feed and email)."
        ),
        schedule=EveryMinutes(15),
        module="health_alerts",
        per_org=True,
    ),
    dict(
        name="api_jobs",
        title="Job API",
        description=(
            "Runs the jobs enqueued through the Job API (an email, a lead export) that did not "
            "finish right after their request, and the retries of failed attempts."
        ),
        schedule=EveryMinutes(5),
        module="api_jobs",
        per_org=True,
    ),
    dict(
        name="provisioning",
        title="Workspace setup",
        description=(
            "Runs requested workspace setups (plan, Twilio subaccount and number, WhatsApp, "
            "email, defaults, connection tests), retries failed steps and resumes interrupted ones."
        ),
        schedule=EveryMinutes(10),
        module="provisioning",
        per_org=True,
    ),
    dict(
        name="broadcasts",
        title="Broadcasts",
        description=(
            "Starts the broadcasts scheduled for now, sends their messages at the paced "
            "rate, and marks each broadcast sent (with its figures) when its last message is."
        ),
        schedule=EveryMinutes(1),
        module="broadcasts",
        per_org=True,
    ),
    dict(
        name="segments_hourly",
        title="Segments (time windows)",
        description=(
            'Re-evaluates the segments whose rules count back from now ("in the last 30 '
            'days"), so contacts leave them when the window passes.'
        ),
        schedule=EveryMinutes(60, at_minute=20),
        module="segments_hourly",
        per_org=True,
    ),
    dict(
        name="segments_nightly",
        title="Segments (nightly check)",
        description=(
            "Compares every segment's members with its rules and repairs any difference, "
            "telling workflows about each contact that entered or left."
        ),
        schedule=Daily(3, 30),
        module="segments_nightly",
        per_org=True,
    ),
    dict(
        name="workflows",
        title="Workflows",
        description=(
            "Starts the runs of scheduled workflows whose time came (in the workspace's time "
            "zone) and runs the workflow steps that are due: ended waits, timeouts, new runs."
        ),
        schedule=EveryMinutes(1),
        module="workflows",
        per_org=True,
    ),
    dict(
        name="marketing",
        title="Marketing campaigns",
        description=(
            "Starts scheduled marketing campaigns on their start date and completes active "
            "ones after their end date, in each workspace's time zone."
        ),
        schedule=EveryMinutes(15),
        module="marketing",
        per_org=True,
    ),
    dict(
        name="ads_sync",
        title="Ad platforms (daily pull)",
        description=(
            "Reads yesterday's and the week before's spend, clicks and conversions of every "
            "linked Google Ads and Meta campaign, then sets each one's daily budget to what is "
            "left of its monthly budget (pausing it when the month's spend reached it)."
        ),
        schedule=Daily(6, 0),
        module="ads_sync",
        per_org=True,
    ),
    dict(
        name="ads_work",
        title="Ad platforms (budget changes)",
        description=(
            "Sends the budget changes the autopilot made to the linked Google Ads and Meta "
            "campaigns, and retries the platform calls that failed for a while."
        ),
        schedule=EveryMinutes(5),
        module="ads_work",
        per_org=True,
    ),
    dict(
        name="assets",
        title="Asset generation",
        description=(
            "Writes the marketing assets (emails, posts, ads, scripts, voice, banners) whose "
            "generation did not finish right after it was requested, and retries failed ones."
        ),
        schedule=EveryMinutes(1),
        module="assets",
        per_org=True,
    ),
    dict(
        name="bounces",
        title="Bounce mailbox",
        description=(
            "Reads each workspace's bounce mailbox and puts the addresses that bounced for "
            "good or reported mail as spam on its suppression list."
        ),
        schedule=EveryMinutes(10),
        module="bounces",
        per_org=True,
    ),
    dict(
        name="analytics_reports",
        title="Analytics reports",
        description=(
            "Computes each scheduled analytics report once for its period (yesterday, last "
            "week or last month, in the workspace's time zone) after its send hour, and emails "
            "it with its charts to the report's recipients."
        ),
        schedule=EveryMinutes(60, at_minute=15),
        module="analytics_reports",
        per_org=True,
    ),
]


def registry() -> dict[str, JobSpec]:
    """Every scheduled job, by name. Later features add theirs to SPECS.

    The job modules are imported when this is called, not at the top: some of them import
    this module (jobs/provisioning.py takes `node_id` from it).
    """
    specs = []
    for entry in SPECS:
        fields = dict(entry)
        fields["func"] = import_module(f"jobs.{fields.pop('module')}").run
        specs.append(JobSpec(**fields))
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
        resume_abandoned,
        "interval",
        seconds=60,
        args=[app],
        id="_resume_abandoned",
        misfire_grace_time=60,
    )
    me = node_id()
    scheduler.add_job(
        beat, "interval", seconds=30, args=[app, me], id="_node_heartbeat", misfire_grace_time=30
    )
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
