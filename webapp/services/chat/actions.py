"""What an intent does besides answering: capture the visitor as a lead (source "chat"),
look up a lead's status, record a call-back request, start a workflow, hand over."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import ChatIntent, Conversation, Lead, LeadEvent, Organization, Workflow
from webapp.services.activity import log_activity
from webapp.services.chat.answers import Facts
from webapp.services.leads import FieldError, LeadInvalid, capture_lead, clean_phone, region_for

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"\+?\d[\d ()-]{6,}\d")
STATUS_WORDS = {
    "new": "received; nobody has picked it up yet",
    "contacted": "in hand: the team has been in touch",
    "qualified": "being worked on",
    "won": "done",
    "lost": "closed",
}


def address_in(session: Session, org_id: int, body: str) -> dict | None:
    """An email or phone number in the message, as lead fields; None without one."""
    found = EMAIL.search(body)
    if found:
        return {"email": found.group(0)}
    number = PHONE.search(body)
    if number:
        org = session.get(Organization, org_id)
        try:
            phone = clean_phone(number.group(0), region_for(org.timezone if org else None))
        except FieldError:
            return None
        return {"phone": phone} if phone else None
    return None


def capture(
    session: Session, conversation: Conversation, fields: dict, *, now: datetime
) -> Lead | None:
    """The visitor as a lead of the workspace (merged with the contact who has the same
    address), linked to a web chat. None when the address does not pass the lead checks."""
    try:
        lead, _created = capture_lead(
            session, conversation.org_id, {**fields, "source": "chat"}, source="chat", now=now
        )
    except LeadInvalid:
        return None
    if conversation.lead_id is None:
        conversation.lead_id = lead.id
    return lead


def lead_status(lead: Lead | None, facts: Facts) -> str:
    if lead is None:
        return "Leave your email or phone number and I'll look up your request."
    words = STATUS_WORDS.get(lead.status, lead.status)
    return f"Your request with {facts.business} is {words}."


def request_callback(
    session: Session, conversation: Conversation, lead: Lead | None, *, now: datetime
) -> str | None:
    """A call-back request on the contact's timeline and the activity feed; None while the
    contact has no phone number (the bot asks for one)."""
    if lead is None or not lead.phone:
        return None
    session.add(
        LeadEvent(
            org_id=lead.org_id,
            lead_id=lead.id,
            type="callback_requested",
            description=f"Asked for a call-back in a chat (conversation {conversation.id}).",
            details={"conversation_id": conversation.id, "phone": lead.phone},
            created_at=now,
        )
    )
    log_activity(
        session,
        conversation.org_id,
        "chat.callback_requested",
        f"{lead.display_name} asked to be called back on {lead.phone}.",
        now=now,
        entity=("conversation", conversation.id),
    )
    return f"Thanks, we'll call you back on {lead.phone}."


def start_workflow(
    session: Session, intent: ChatIntent, lead: Lead | None, *, now: datetime
) -> bool:
    if lead is None or intent.workflow_id is None:
        return False
    from webapp.services.workflows import start_run

    workflow = session.get(Workflow, intent.workflow_id)
    if workflow is None or workflow.org_id != lead.org_id or workflow.status != "active":
        return False
    started = start_run(
        session,
        workflow,
        lead.id,
        key=f"chat:{intent.id}:{lead.id}",
        trigger={"chat": True, "properties": {"intent": intent.name}},
        now=now,
    )
    return started is not None
