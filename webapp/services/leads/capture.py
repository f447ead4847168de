"""Leads: the one way in (`capture_lead` / `capture_leads`). This module also re-exports
the lead's status, notes and timeline (`handling`) and the inbox query (`search`).

Every way a lead arrives — the public form, the JSON API, a CSV import, a person adding
one, the sequences feature — goes through `capture_leads` (one lead: `capture_lead`), so
normalising (`fields`), de-duplicating, scoring (`scoring`, where the points are
documented) and explaining happen in one place, for one lead or a batch of 500.

De-duplication: a lead with the email or the phone of an existing lead of the workspace
is merged into the oldest such lead: empty fields are filled in, nothing is overwritten,
and its timeline says what changed. Two rows of one batch merge the same way (`dedupe`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from webapp.core import signals
from webapp.core.errors import NotFound
from webapp.models import Campaign, Lead, LeadEvent, Organization
from webapp.services.activity import log_activity
from webapp.services.leads.dedupe import (
    FILLABLE,
    NewLead,
    existing_leads,
    fill,
    filled_words,
    match,
    remember,
)
from webapp.services.leads.fields import LeadInvalid, normalise_lead_data, search_text_for, slug
from webapp.services.leads.handling import (
    change_status,
    contact_changed,
    lead_timeline,
    update_notes,
)
from webapp.services.leads.scoring import score_lead
from webapp.services.leads.search import LeadFilter, LeadPage, distinct_sources, search_leads

__all__ = [
    "Captured",
    "LeadFilter",
    "LeadInvalid",
    "LeadPage",
    "capture_lead",
    "capture_leads",
    "change_status",
    "distinct_sources",
    "lead_timeline",
    "score_lead",
    "search_leads",
    "update_notes",
]

VIA_LABELS = {
    "form": "the website form",
    "api": "the API",
    "csv": "a CSV import",
    "manual": "a person",
    "landing_page": "a landing page",
}
# Sources that are records about people rather than a person getting in touch: a match
# updates the lead without counting as repeated interest.
RECORDS = frozenset({"csv"})
# Keeps two captures of one workspace from both inserting the same new contact (PostgreSQL;
# SQLite serialises writers already).
ADVISORY_LOCK_NAMESPACE = 7304


@dataclass
class Captured:
    """What became of one row: a new lead, or merged into an existing one."""

    lead_id: int | None
    created: bool


def _via(via: str) -> str:
    return VIA_LABELS.get(via, via)


# --- capturing -------------------------------------------------------------------------------


def capture_lead(
    session: Session,
    org_id: int,
    data: dict,
    *,
    source: str,
    now: datetime,
    actor_id: int | None = None,
    log: bool = True,
) -> tuple[Lead, bool]:
    """Add one lead, or merge it into the workspace's lead with the same email or phone.

    `source` says how it arrived (form, api, csv, manual, …); a `source` in `data` names
    the channel and wins. Returns (lead, created). Raises LeadInvalid with per-field errors.
    """
    outcome = capture_leads(
        session, org_id, [data], source=source, now=now, actor_id=actor_id, log=log
    )[0]
    if isinstance(outcome, LeadInvalid):
        raise outcome
    lead = session.get(Lead, outcome.lead_id)
    if outcome.created:  # a new contact joins the workspace's active "new contact" sequences
        from webapp.services.messaging import enroll_lead

        enroll_lead(session, lead, now=now)
    return lead, outcome.created


def capture_leads(
    session: Session,
    org_id: int,
    rows: list[dict],
    *,
    source: str,
    now: datetime,
    actor_id: int | None = None,
    log: bool = True,
) -> list[Captured | LeadInvalid]:
    """Capture a batch: one outcome per row, in order (Captured, or LeadInvalid for a row
    that cannot make a lead; the others are kept). With `log=False` no activity row is
    written per lead (an import writes one summary instead). Flushes, never commits.
    """
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"No workspace {org_id}.")
    outcomes: list[Captured | LeadInvalid | None] = [None] * len(rows)
    cleaned = _normalise_rows(rows, org, source, outcomes)
    cleaned = _check_campaigns(session, org_id, cleaned, outcomes)
    if not cleaned:
        return outcomes  # type: ignore[return-value]
    _lock_workspace(session, org_id)

    by_email, by_phone = existing_leads(session, org_id, cleaned)
    new: list[NewLead] = []
    for i, fields_ in cleaned:
        target = match(by_email, by_phone, fields_)
        if isinstance(target, Lead):
            _merge_into_lead(
                session,
                target,
                by_email,
                by_phone,
                fields_,
                via=source,
                now=now,
                actor_id=actor_id,
                log=log,
            )
            outcomes[i] = Captured(target.id, False)
        elif isinstance(target, NewLead):
            contacted = source not in RECORDS
            target.merges.append(
                fill(target.fields, fields_, by_email, by_phone, target, contacted=contacted)
            )
            outcomes[i] = target  # resolved to an id once inserted
        else:
            pending = NewLead(i, fields_)
            new.append(pending)
            outcomes[i] = pending
            remember(by_email, by_phone, pending)
    ids = _insert_new(session, org_id, new, via=source, now=now, actor_id=actor_id, log=log)
    for n, outcome in enumerate(outcomes):
        if isinstance(outcome, NewLead):
            outcomes[n] = Captured(ids[id(outcome)], created=outcome.index == n)
    return outcomes  # type: ignore[return-value]


def _normalise_rows(
    rows: list[dict], org: Organization, source: str, outcomes: list
) -> list[tuple[int, dict]]:
    """(index, fields) of each row that can make a lead; the others' LeadInvalid goes into
    `outcomes` at their index."""
    cleaned: list[tuple[int, dict]] = []
    for i, data in enumerate(rows):
        try:
            fields_ = normalise_lead_data(
                data, org_timezone=org.timezone, phone_region=org.phone_region
            )
        except LeadInvalid as exc:
            outcomes[i] = exc
            continue
        fields_["source"] = fields_["source"] or slug(source) or "manual"
        cleaned.append((i, fields_))
    return cleaned


def _check_campaigns(session: Session, org_id: int, cleaned: list, outcomes: list) -> list:
    wanted = {f["campaign_id"] for _i, f in cleaned if f["campaign_id"] is not None}
    if not wanted:
        return cleaned
    known = set(
        session.scalars(
            select(Campaign.id).where(Campaign.org_id == org_id, Campaign.id.in_(wanted))
        )
    )
    kept = []
    for i, fields_ in cleaned:
        if fields_["campaign_id"] is not None and fields_["campaign_id"] not in known:
            outcomes[i] = LeadInvalid({"campaign_id": "no such campaign in this workspace"})
        else:
            kept.append((i, fields_))
    return kept


def _lock_workspace(session: Session, org_id: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :org)"),
            {"ns": ADVISORY_LOCK_NAMESPACE, "org": org_id},
        )


def _merge_into_lead(
    session: Session,
    lead: Lead,
    by_email: dict,
    by_phone: dict,
    fields_: dict,
    *,
    via: str,
    now: datetime,
    actor_id: int | None,
    log: bool,
) -> None:
    current = {attr: getattr(lead, attr) for attr in FILLABLE}
    current["extra"] = lead.extra or {}
    changed = fill(current, fields_, by_email, by_phone, lead, contacted=via not in RECORDS)
    for attr in FILLABLE:
        if attr in changed:
            setattr(lead, attr, current[attr])
    lead.extra = current["extra"]
    before = lead.score
    lead.search_text = search_text_for(lead)
    lead.score, lead.score_reasons = score_lead(lead)
    lead.updated_at = now
    filled = filled_words(changed)
    session.add(
        LeadEvent(
            org_id=lead.org_id,
            lead_id=lead.id,
            type="merged",
            description=f"Arrived again through {_via(via)}; merged instead of adding a duplicate (filled in: {filled}).",
            details={
                "via": via,
                "changed": changed,
                "score": {"before": before, "after": lead.score},
            },
            actor_id=actor_id,
            created_at=now,
        )
    )
    if log:
        log_activity(
            session,
            lead.org_id,
            "lead.merged",
            f"{lead.display_name} got in touch again through {_via(via)}: merged into the existing lead "
            f"instead of adding a duplicate (filled in: {filled}).",
            now=now,
            entity=("lead", lead.id),
            actor_id=actor_id,
            details={
                "via": via,
                "changed": sorted(changed),
                "score": {"before": before, "after": lead.score},
            },
        )
    contact_changed(session, lead, "merged", {"via": via, "fields": sorted(changed)}, actor_id, now)


def _insert_new(
    session: Session,
    org_id: int,
    new: list[NewLead],
    *,
    via: str,
    now: datetime,
    actor_id: int | None,
    log: bool,
) -> dict[int, int]:
    """Insert the batch's new leads and their timeline rows in a few statements.

    Returns {id(pending): lead id}.
    """
    if not new:
        return {}
    rows = [_lead_row(org_id, pending, now) for pending in new]
    # No two new leads of a batch share an email or a phone (they would have merged), so the
    # pair finds each row's id; asking for the ids in parameter order would make SQLite
    # insert one row per statement.
    returned = session.execute(insert(Lead).returning(Lead.id, Lead.email, Lead.phone), rows)
    by_key = {(email, phone): lead_id for lead_id, email, phone in returned}
    ids = [by_key[(p.fields["email"], p.fields["phone"])] for p in new]
    events = []
    for pending, lead_id in zip(new, ids, strict=True):
        f = pending.fields
        events += _arrival_events(org_id, pending, lead_id, via=via, now=now, actor_id=actor_id)
        if log:
            name = f["full_name"] or f["email"] or f["phone"]
            log_activity(
                session,
                org_id,
                "lead.captured",
                f"New lead {name} through {_via(via)}, scored {f['score']}.",
                now=now,
                entity=("lead", lead_id),
                actor_id=actor_id,
                details={"via": via, "source": f["source"], "score": f["score"]},
            )
    session.execute(insert(LeadEvent), events)
    for pending, lead_id in zip(new, ids, strict=True):
        signals.send(
            signals.lead_captured,
            session=session,
            org_id=org_id,
            lead_id=lead_id,
            via=via,
            source=pending.fields["source"],
            score=pending.fields["score"],
            actor_id=actor_id,
            now=now,
        )
    return {id(pending): lead_id for pending, lead_id in zip(new, ids, strict=True)}


def _lead_row(org_id: int, pending: NewLead, now: datetime) -> dict:
    """The new lead's row, scored (the score is also kept in its fields for the timeline)."""
    f = pending.fields
    extra = dict(f["extra"])
    extra.setdefault("_seen", 1)
    f["extra"] = extra
    score, reasons = score_lead(pending)  # type: ignore[arg-type]
    f["score"] = score
    return {
        "org_id": org_id,
        "full_name": f["full_name"],
        "email": f["email"],
        "phone": f["phone"],
        "company": f["company"],
        "source": f["source"],
        "campaign_id": f["campaign_id"],
        "status": "new",
        "score": score,
        "score_reasons": reasons,
        "timezone": f["timezone"],
        "notes": "",
        "extra": extra,
        "search_text": search_text_for(pending),
        "created_at": now,
        "updated_at": now,
    }


def _arrival_events(
    org_id: int,
    pending: NewLead,
    lead_id: int,
    *,
    via: str,
    now: datetime,
    actor_id: int | None,
) -> list[dict]:
    """The timeline rows of a new lead: created, then one per row of the batch merged into it."""
    f = pending.fields
    base = {"org_id": org_id, "lead_id": lead_id, "actor_id": actor_id, "created_at": now}
    events = [
        {
            **base,
            "type": "created",
            "description": f"Arrived through {_via(via)} (source: {f['source']}), score {f['score']}.",
            "details": {"via": via, "source": f["source"], "score": f["score"]},
        }
    ]
    for changed in pending.merges:
        events.append(
            {
                **base,
                "type": "merged",
                "description": f"Arrived again through {_via(via)} in the same batch; merged instead of adding a "
                f"duplicate (filled in: {filled_words(changed)}).",
                "details": {"via": via, "changed": changed},
            }
        )
    return events
