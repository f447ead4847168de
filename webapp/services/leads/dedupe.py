"""De-duplication of captured leads: finding the lead a row merges into (a saved lead of
the workspace, or a new one earlier in the same batch) and filling that lead's empty
fields from the row, never overwriting and never giving two leads one email or phone."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from webapp.models import Lead

FIELD_LABELS = {"full_name": "name", "campaign_id": "campaign", "timezone": "time zone"}
FILLABLE = ("email", "phone", "full_name", "company", "timezone", "campaign_id")


@dataclass(eq=False)
class NewLead:
    """A lead of this batch not inserted yet; later rows of the batch may merge into it."""

    index: int
    fields: dict
    merges: list[dict] = field(default_factory=list)  # details of the rows merged into it

    def __getattr__(self, name: str):  # scoring and search text read fields
        if name == "extra":
            return self.fields["extra"]
        if name == "unsubscribed_at":
            return None
        try:
            return self.__dict__["fields"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def existing_leads(session: Session, org_id: int, cleaned: list) -> tuple[dict, dict]:
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
    for lead in session.scalars(
        select(Lead).where(Lead.org_id == org_id, or_(*conditions)).order_by(Lead.id)
    ):
        remember(by_email, by_phone, lead)
    return by_email, by_phone


def remember(by_email: dict, by_phone: dict, lead: Lead | NewLead) -> None:
    """Index `lead` by its email and phone, unless an older lead holds them already."""
    if lead.email:
        by_email.setdefault(lead.email, lead)
    if lead.phone:
        by_phone.setdefault(lead.phone, lead)


def match(by_email: dict, by_phone: dict, fields_: dict) -> Lead | NewLead | None:
    """The lead the row merges into (the oldest saved one first), or None for a new lead."""
    found = [
        m for m in (by_email.get(fields_["email"]), by_phone.get(fields_["phone"])) if m is not None
    ]
    saved = [m for m in found if isinstance(m, Lead)]
    if saved:
        return min(saved, key=lambda lead: lead.id)  # the oldest keeps its history
    return found[0] if found else None


def fill(
    current: dict,
    fields_: dict,
    by_email: dict,
    by_phone: dict,
    owner: Lead | NewLead,
    *,
    contacted: bool = True,
) -> dict:
    """Fill `current`'s empty fields from `fields_` (never overwrite); returns what changed.

    An email or phone that another lead already has is not copied, so no two leads share one.
    `contacted`: the person got in touch again (a form, the API), which scoring counts; an
    import of rows about known people is not that, so re-importing an export adds nothing.
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
    if contacted:
        extra["_seen"] = int(extra.get("_seen", 1)) + 1
    current["extra"] = extra
    if added:
        changed["extra"] = {"before": None, "after": added}
    return changed


def filled_words(changed: dict) -> str:
    """What `fill` changed, in words for the timeline."""
    words = [
        ", ".join(changed[k]["after"]) if k == "extra" else FIELD_LABELS.get(k, k) for k in changed
    ]
    return ", ".join(words) or "nothing new"
