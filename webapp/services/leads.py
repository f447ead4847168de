"""Leads: the one way in (`capture_lead` / `capture_leads`), status, notes, the timeline.

Every way a lead arrives — the public form, the JSON API, a CSV import, a person adding
one, the sequences feature — goes through `capture_leads` (one lead: `capture_lead`), so
normalising (lead_fields), de-duplicating, scoring (lead_scoring, where the points are
documented) and explaining happen in one place, for one lead or a batch of 500.

De-duplication: a lead with the email or the phone of an existing lead of the workspace
is merged into the oldest such lead: empty fields are filled in, nothing is overwritten,
and its timeline says what changed. Two rows of one batch merge the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, or_, select, text
from sqlalchemy.orm import Session

from webapp.models import LEAD_STATUSES, Campaign, Lead, LeadEvent, Organization
from webapp.services.activity import log_activity
from webapp.services.errors import DomainError, NotFound
from webapp.services.lead_fields import LeadInvalid, normalise_lead_data, search_text_for, slug
from webapp.services.lead_scoring import score_lead

VIA_LABELS = {"form": "the website form", "api": "the API", "csv": "a CSV import", "manual": "a person"}
FIELD_LABELS = {"full_name": "name", "campaign_id": "campaign", "timezone": "time zone"}
FILLABLE = ("email", "phone", "full_name", "company", "timezone", "campaign_id")
# Keeps two captures of one workspace from both inserting the same new contact (PostgreSQL;
# SQLite serialises writers already).
ADVISORY_LOCK_NAMESPACE = 7304


@dataclass
class Captured:
    """What became of one row: a new lead, or merged into an existing one."""

    lead_id: int | None
    created: bool


@dataclass(eq=False)
class _NewLead:
    """A lead of this batch not inserted yet; later rows of the batch may merge into it."""

    index: int
    fields: dict
    merges: list[dict] = field(default_factory=list)  # details of the rows merged into it

    def __getattr__(self, name: str):  # noqa: ANN204  (scoring and search text read fields)
        if name == "extra":
            return self.fields["extra"]
        if name == "unsubscribed_at":
            return None
        try:
            return self.__dict__["fields"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def _via(via: str) -> str:
    return VIA_LABELS.get(via, via)


# --- capturing -------------------------------------------------------------------------------


def capture_lead(
    session: Session, org_id: int, data: dict, *, source: str, now: datetime,
    actor_id: int | None = None, log: bool = True,
) -> tuple[Lead, bool]:
    """Add one lead, or merge it into the workspace's lead with the same email or phone.

    `source` says how it arrived (form, api, csv, manual, …); a `source` in `data` names
    the channel and wins. Returns (lead, created). Raises LeadInvalid with per-field errors.
    """
    outcome = capture_leads(session, org_id, [data], source=source, now=now, actor_id=actor_id, log=log)[0]
    if isinstance(outcome, LeadInvalid):
        raise outcome
    lead = session.get(Lead, outcome.lead_id)
    if outcome.created:  # a new contact joins the workspace's active "new contact" sequences
        from webapp.services.automation import enroll_lead

        enroll_lead(session, lead, now=now)
    return lead, outcome.created


def capture_leads(
    session: Session, org_id: int, rows: list[dict], *, source: str, now: datetime,
    actor_id: int | None = None, log: bool = True,
) -> list[Captured | LeadInvalid]:
    """Capture a batch: one outcome per row, in order (Captured, or LeadInvalid for a row
    that cannot make a lead; the others are kept). With `log=False` no activity row is
    written per lead (an import writes one summary instead). Flushes, never commits.
    """
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"No workspace {org_id}.")
    outcomes: list[Captured | LeadInvalid | None] = [None] * len(rows)
    cleaned: list[tuple[int, dict]] = []
    for i, data in enumerate(rows):
        try:
            fields_ = normalise_lead_data(data, org_timezone=org.timezone)
        except LeadInvalid as exc:
            outcomes[i] = exc
            continue
        fields_["source"] = fields_["source"] or slug(source) or "manual"
        cleaned.append((i, fields_))
    cleaned = _check_campaigns(session, org_id, cleaned, outcomes)
    if not cleaned:
        return outcomes  # type: ignore[return-value]
    _lock_workspace(session, org_id)

    by_email, by_phone = _existing(session, org_id, cleaned)
    new: list[_NewLead] = []
    for i, fields_ in cleaned:
        target = _match(by_email, by_phone, fields_)
        if isinstance(target, Lead):
            _merge_into_lead(session, target, by_email, by_phone, fields_, via=source, now=now, actor_id=actor_id, log=log)
            outcomes[i] = Captured(target.id, False)
        elif isinstance(target, _NewLead):
            target.merges.append(_fill(target.fields, fields_, by_email, by_phone, target))
            outcomes[i] = target  # resolved to an id once inserted
        else:
            pending = _NewLead(i, fields_)
            new.append(pending)
            outcomes[i] = pending
            _remember(by_email, by_phone, pending)
    ids = _insert_new(session, org_id, new, via=source, now=now, actor_id=actor_id, log=log)
    for n, outcome in enumerate(outcomes):
        if isinstance(outcome, _NewLead):
            outcomes[n] = Captured(ids[id(outcome)], created=outcome.index == n)
    return outcomes  # type: ignore[return-value]


def _check_campaigns(session: Session, org_id: int, cleaned: list, outcomes: list) -> list:
    wanted = {f["campaign_id"] for _i, f in cleaned if f["campaign_id"] is not None}
    if not wanted:
        return cleaned
    known = set(session.scalars(select(Campaign.id).where(Campaign.org_id == org_id, Campaign.id.in_(wanted))))
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
            text("SELECT pg_advisory_xact_lock(:ns, :org)"), {"ns": ADVISORY_LOCK_NAMESPACE, "org": org_id}
        )


def _existing(session: Session, org_id: int, cleaned: list) -> tuple[dict, dict]:
    """The workspace's leads with any email or phone of the batch, oldest first per key."""
    emails = sorted({f["email"] for _i, f in cleaned if f["email"]})
    phones = sorted({f["phone"] for _i, f in cleaned if f["phone"]})
    conditions = []
    if emails:
        conditions.append(Lead.email.in_(emails))
    if phones:
        conditions.append(Lead.phone.in_(phones))
    by_email: dict = {}
    by_phone: dict = {}
    for lead in session.scalars(select(Lead).where(Lead.org_id == org_id, or_(*conditions)).order_by(Lead.id)):
        _remember(by_email, by_phone, lead)
    return by_email, by_phone


def _remember(by_email: dict, by_phone: dict, lead: Lead | _NewLead) -> None:
    if lead.email:
        by_email.setdefault(lead.email, lead)
    if lead.phone:
        by_phone.setdefault(lead.phone, lead)


def _match(by_email: dict, by_phone: dict, fields_: dict) -> Lead | _NewLead | None:
    found = [m for m in (by_email.get(fields_["email"]), by_phone.get(fields_["phone"])) if m is not None]
    saved = [m for m in found if isinstance(m, Lead)]
    if saved:
        return min(saved, key=lambda lead: lead.id)  # the oldest keeps its history
    return found[0] if found else None


def _fill(current: dict, fields_: dict, by_email: dict, by_phone: dict, owner: Lead | _NewLead) -> dict:
    """Fill `current`'s empty fields from `fields_` (never overwrite); returns what changed.

    An email or phone that another lead already has is not copied, so no two leads share one.
    """
    changed: dict[str, dict] = {}
    for attr in FILLABLE:
        value = fields_[attr]
        if not value or current.get(attr):
            continue
        index = by_email if attr == "email" else by_phone if attr == "phone" else None
        if index is not None and index.get(value) not in (None, owner):
            continue
        changed[attr] = {"before": current.get(attr), "after": value}
        current[attr] = value
        if index is not None:
            index[value] = owner
    extra = dict(current.get("extra") or {})
    added = {k: v for k, v in fields_["extra"].items() if k not in extra}
    extra.update(added)
    extra["_seen"] = int(extra.get("_seen", 1)) + 1
    current["extra"] = extra
    if added:
        changed["extra"] = {"before": None, "after": added}
    return changed


def _filled_words(changed: dict) -> str:
    words = [", ".join(changed[k]["after"]) if k == "extra" else FIELD_LABELS.get(k, k) for k in changed]
    return ", ".join(words) or "nothing new"


def _merge_into_lead(session: Session, lead: Lead, by_email: dict, by_phone: dict, fields_: dict, *, via: str,
                     now: datetime, actor_id: int | None, log: bool) -> None:
    current = {attr: getattr(lead, attr) for attr in FILLABLE}
    current["extra"] = lead.extra or {}
    changed = _fill(current, fields_, by_email, by_phone, lead)
    for attr in FILLABLE:
        if attr in changed:
            setattr(lead, attr, current[attr])
    lead.extra = current["extra"]
    before = lead.score
    lead.search_text = search_text_for(lead)
    lead.score, lead.score_reasons = score_lead(lead)
    lead.updated_at = now
    filled = _filled_words(changed)
    session.add(LeadEvent(
        org_id=lead.org_id, lead_id=lead.id, type="merged",
        description=f"Arrived again through {_via(via)}; merged instead of adding a duplicate (filled in: {filled}).",
        details={"via": via, "changed": changed, "score": {"before": before, "after": lead.score}},
        actor_id=actor_id, created_at=now,
    ))
    if log:
        log_activity(
            session, lead.org_id, "lead.merged",
            f"{lead.display_name} got in touch again through {_via(via)}: merged into the existing lead "
            f"instead of adding a duplicate (filled in: {filled}).",
            now=now, entity=("lead", lead.id), actor_id=actor_id,
            details={"via": via, "changed": sorted(changed), "score": {"before": before, "after": lead.score}},
        )


def _insert_new(session: Session, org_id: int, new: list[_NewLead], *, via: str, now: datetime,
                actor_id: int | None, log: bool) -> dict[int, int]:
    """Insert the batch's new leads and their timeline rows in a few statements.

    Returns {id(pending): lead id}.
    """
    if not new:
        return {}
    rows = []
    for pending in new:
        f = pending.fields
        extra = dict(f["extra"])
        extra.setdefault("_seen", 1)
        f["extra"] = extra
        score, reasons = score_lead(pending)  # type: ignore[arg-type]
        f["score"] = score
        rows.append({
            "org_id": org_id, "full_name": f["full_name"], "email": f["email"], "phone": f["phone"],
            "company": f["company"], "source": f["source"], "campaign_id": f["campaign_id"], "status": "new",
            "score": score, "score_reasons": reasons, "timezone": f["timezone"], "notes": "", "extra": extra,
            "search_text": search_text_for(pending), "created_at": now, "updated_at": now,
        })
    # No two new leads of a batch share an email or a phone (they would have merged), so the
    # pair finds each row's id; asking for the ids in parameter order would make SQLite
    # insert one row per statement.
    returned = session.execute(insert(Lead).returning(Lead.id, Lead.email, Lead.phone), rows)
    by_key = {(email, phone): lead_id for lead_id, email, phone in returned}
    ids = [by_key[(p.fields["email"], p.fields["phone"])] for p in new]
    events = []
    for pending, lead_id in zip(new, ids, strict=True):
        f = pending.fields
        events.append({
            "org_id": org_id, "lead_id": lead_id, "type": "created", "actor_id": actor_id, "created_at": now,
            "description": f"Arrived through {_via(via)} (source: {f['source']}), score {f['score']}.",
            "details": {"via": via, "source": f["source"], "score": f["score"]},
        })
        for changed in pending.merges:
            events.append({
                "org_id": org_id, "lead_id": lead_id, "type": "merged", "actor_id": actor_id, "created_at": now,
                "description": f"Arrived again through {_via(via)} in the same batch; merged instead of adding a "
                               f"duplicate (filled in: {_filled_words(changed)}).",
                "details": {"via": via, "changed": changed},
            })
        if log:
            name = f["full_name"] or f["email"] or f["phone"]
            log_activity(
                session, org_id, "lead.captured", f"New lead {name} through {_via(via)}, scored {f['score']}.",
                now=now, entity=("lead", lead_id), actor_id=actor_id,
                details={"via": via, "source": f["source"], "score": f["score"]},
            )
    session.execute(insert(LeadEvent), events)
    return {id(pending): lead_id for pending, lead_id in zip(new, ids, strict=True)}


# --- status, notes, timeline ---------------------------------------------------------------


def change_status(session: Session, lead: Lead, status: str, *, now: datetime, actor_id: int | None,
                  actor_name: str | None = None) -> bool:
    """Move the lead to `status` (one of LEAD_STATUSES). Returns False when it already was."""
    if status not in LEAD_STATUSES:
        raise DomainError(f"Unknown status {status!r}; choose one of {', '.join(LEAD_STATUSES)}.")
    if lead.status == status:
        return False
    before, lead.status, lead.updated_at = lead.status, status, now
    who = actor_name or ("The autopilot" if actor_id is None else "Someone")
    session.add(LeadEvent(
        org_id=lead.org_id, lead_id=lead.id, type="status_changed",
        description=f"{who} changed the status from {before} to {status}.",
        details={"before": before, "after": status}, actor_id=actor_id, created_at=now,
    ))
    log_activity(
        session, lead.org_id, "lead.status_changed",
        f"{who} moved {lead.display_name} from {before} to {status}.",
        now=now, entity=("lead", lead.id), actor_id=actor_id, details={"before": before, "after": status},
    )
    return True


def update_notes(session: Session, lead: Lead, notes: str, *, now: datetime, actor_id: int | None,
                 actor_name: str | None = None) -> bool:
    """Replace the lead's notes; the timeline keeps what they said before. False if unchanged."""
    notes = (notes or "").strip()[:10_000]
    if notes == (lead.notes or ""):
        return False
    before, lead.notes, lead.updated_at = lead.notes, notes, now
    session.add(LeadEvent(
        org_id=lead.org_id, lead_id=lead.id, type="notes_updated",
        description=f"{actor_name or 'Someone'} {'updated' if before else 'added'} the notes.",
        details={"before": before[:500], "after": notes[:500]}, actor_id=actor_id, created_at=now,
    ))
    session.flush()
    return True


def lead_timeline(session: Session, lead: Lead, limit: int = 200) -> list[LeadEvent]:
    """The lead's events, newest first."""
    return list(session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.org_id == lead.org_id)
        .order_by(LeadEvent.created_at.desc(), LeadEvent.id.desc()).limit(limit)
    ))


from webapp.services.lead_search import (  # noqa: E402  (the inbox query, re-exported)
    LeadFilter,
    LeadPage,
    distinct_sources,
    search_leads,
)

__all__ = [
    "Captured", "LeadFilter", "LeadInvalid", "LeadPage", "capture_lead", "capture_leads", "change_status",
    "distinct_sources", "lead_timeline", "score_lead", "search_leads", "update_notes",
]
