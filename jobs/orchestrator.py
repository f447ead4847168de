"""The daily autopilot: for every active autopilot, create its campaigns from the strategy
(or follow a new plan when the setup wizard was re-run) or else optimise their budgets,
then link the last 7 days of leads to their campaigns.

Workspaces are read in batches by id; each batch's campaigns, 7-day figures and
unattributed leads come from a few queries for the whole batch (never one per
campaign), so memory stays flat. Each workspace's work is all-or-nothing and committed
with a small group of others (see _run_batch), and an interrupted run resumes where it
stopped (a workspace already optimised today is skipped). Run by hand for one workspace (`ctx.org_id`) it touches only that workspace.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import timedelta
from functools import partial

from sqlalchemy import select

from jobs.runner import JobContext
from webapp.core.db import begin_write
from webapp.core.errors import DomainError
from webapp.core.extensions import db
from webapp.models import AutopilotConfig, Campaign, Organization
from webapp.services import ads
from webapp.services.autopilot import campaigns as campaign_service
from webapp.services.autopilot import optimizer, optimizer_runs
from webapp.services.autopilot.budget_plan import Workspace
from webapp.services.leads import attribution as lead_attribution

log = logging.getLogger(__name__)
BATCH = 500  # workspaces read per batch (a few queries each)
GROUP_SIZE = 50  # workspaces per commit, at most
GROUP_SECONDS = 0.25  # and at most this long holding the write lock


def run(ctx: JobContext) -> dict:
    counts: Counter = Counter()
    failures: list[str] = []
    after = 0
    while True:
        batch = optimizer_runs.active_workspaces(
            db.session, after_org_id=after, limit=BATCH, org_id=ctx.org_id
        )
        if not batch:
            break
        after = batch[-1].org_id
        states = optimizer_runs.load_states(db.session, batch, now=ctx.now)
        leads = lead_attribution.unattributed_leads(
            db.session,
            [ws.org_id for ws in batch],
            since=ctx.now - timedelta(days=lead_attribution.LEAD_SYNC_DAYS),
        )
        work = partial(_batch_work, ctx, states, leads)
        _run_batch(ctx, batch, work, counts, failures)
        db.session.expunge_all()
        if len(batch) < BATCH:
            break
    if failures:
        raise RuntimeError(
            f"{len(failures)} workspace(s) failed ({dict(counts)}); first: {failures[0]}"
        )
    if ctx.org_id is not None and counts["workspaces"] == 0:
        counts["not_active"] = 1
    return {key: counts[key] for key in sorted(counts)}


def _batch_work(
    ctx: JobContext,
    states: dict,
    leads: dict,
    ws: Workspace,
    tally: Counter,
    pending: optimizer_runs.PendingWrites,
) -> None:
    _one_workspace(ctx, ws, states.get(ws.org_id, []), leads.get(ws.org_id, []), tally, pending)


def _run_batch(ctx: JobContext, batch: list, work, counts: Counter, failures: list[str]) -> None:
    """Do each workspace's work, committing a group of whole workspaces at a time.

    A workspace's changes are all-or-nothing: if one workspace fails, its group is rolled
    back and redone one workspace per transaction, so only the failing one is lost. A
    commit per workspace cost three times the run's wall time on SQLite (each commit is a
    WAL write and a lock hand-off), so a group is committed every GROUP_SIZE workspaces or
    GROUP_SECONDS, whichever comes first, with its inserts written one statement per
    table: the write lock is never held longer than that, and a run that dies redoes at
    most one group (the run is idempotent per day).
    """
    group: list = []
    tally: Counter = Counter()
    pending = optimizer_runs.PendingWrites()
    started = time.monotonic()
    for i, ws in enumerate(batch):
        begin_write(db.session)  # a no-op inside the group's open transaction
        try:
            work(ws, tally, pending)
            group.append(ws)
            if (
                len(group) >= GROUP_SIZE
                or time.monotonic() - started >= GROUP_SECONDS
                or i == len(batch) - 1
            ):
                _commit(ctx, pending, tally, counts)
                group, tally, started = [], Counter(), time.monotonic()
        except Exception:
            if ctx.lost.is_set():
                raise
            db.session.rollback()
            pending.clear()
            _one_by_one(
                ctx, group if group and group[-1] is ws else [*group, ws], work, counts, failures
            )
            group, tally, started = [], Counter(), time.monotonic()


def _commit(
    ctx: JobContext, pending: optimizer_runs.PendingWrites, tally: Counter, counts: Counter
) -> None:
    pending.flush(db.session)
    ctx.checkpoint()
    counts.update(tally)


def _one_by_one(
    ctx: JobContext, workspaces: list, work, counts: Counter, failures: list[str]
) -> None:
    for ws in workspaces:
        tally: Counter = Counter()
        pending = optimizer_runs.PendingWrites()
        begin_write(db.session)
        try:
            work(ws, tally, pending)
            _commit(ctx, pending, tally, counts)
        except Exception as exc:
            if ctx.lost.is_set():
                raise
            db.session.rollback()
            log.exception("orchestrator: workspace %s failed", ws.org_id)
            failures.append(f"workspace {ws.org_id}: {type(exc).__name__}: {exc}")


def _one_workspace(
    ctx: JobContext,
    ws: Workspace,
    states: list,
    leads: list,
    counts: Counter,
    pending: optimizer_runs.PendingWrites,
) -> None:
    counts["workspaces"] += 1
    if not states:
        created = _create_campaigns(ctx, ws)
        counts["campaigns_created"] += len(created)
        counts["workspaces_set_up" if created else "workspaces_without_strategy"] += 1
        by_channel = {c.channel: c.id for c in reversed(created)}
        plan = None
    elif not all(campaign_service.follows_plan(s.plan, ws.activated_at) for s in states):
        # The wizard was re-run: follow the new plan today, optimise from next week.
        replanned = _apply_new_plan(ctx, ws)
        for key, n in replanned.items():
            counts[f"campaigns_{key}_by_new_plan"] += n
        counts["workspaces_replanned"] += 1
        by_channel = _active_channels(ws.org_id)
        plan = None
    else:
        plan = optimizer.plan_workspace(ws, states, now=ctx.now)
        by_channel = {s.channel: s.id for s in reversed(states) if s.status == "active"}
    if leads:
        counts["leads_linked"] += lead_attribution.attribute_leads(
            db.session, ws.org_id, leads, by_channel, now=ctx.now, activity=pending.activity
        )
    if plan is None:
        return
    applied = optimizer_runs.apply_plan(db.session, plan, now=ctx.now, pending=pending)
    if applied:  # linked ad platform campaigns get their new daily budgets (queue jobs)
        counts["ad_budget_pushes_queued"] += ads.queue_budget_pushes(
            db.session, ws.org_id, [d.campaign_id for d in applied], now=ctx.now, reason="optimizer"
        )
    if plan.skip_reason:
        counts["workspaces_skipped"] += 1
        return
    counts["workspaces_optimized"] += 1
    counts["budget_changes"] += len(applied)
    counts["budget_cuts"] += sum(1 for d in applied if d.action == "decrease")
    counts["budget_raises"] += sum(1 for d in applied if d.action == "increase")
    counts["campaigns_without_clicks"] += plan.count("skip")
    counts["campaigns_unchanged"] += len(plan.decisions) - len(applied)


def _apply_new_plan(ctx: JobContext, ws: Workspace) -> dict[str, int]:
    config = db.session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == ws.org_id)
    ).one()
    try:
        return campaign_service.apply_new_plan(
            db.session, config, db.session.get(Organization, ws.org_id), now=ctx.now
        )
    except DomainError as exc:
        log.warning("orchestrator: workspace %s: new plan not applied: %s", ws.org_id, exc)
        return {}


def _active_channels(org_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Campaign.channel, Campaign.id)
        .where(
            Campaign.org_id == org_id, Campaign.auto_managed.is_(True), Campaign.status == "active"
        )
        .order_by(Campaign.id.desc())
    )
    return dict(rows.all())


def _create_campaigns(ctx: JobContext, ws: Workspace) -> list:
    config = db.session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == ws.org_id)
    ).one()
    org = db.session.get(Organization, ws.org_id)
    try:
        return campaign_service.create_campaigns_from_strategy(db.session, config, org, now=ctx.now)
    except DomainError as exc:
        log.warning("orchestrator: workspace %s has no campaigns to create: %s", ws.org_id, exc)
        return []
