"""A workspace's intents: the defaults it starts with, checking and saving one (which
retrains the classifier), deleting one, and how each fares (escalation and resolution)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import (
    CHAT_ACTIONS,
    ChatIntent,
    ChatSettings,
    Conversation,
    ConversationMessage,
    Workflow,
)
from webapp.services.chat.answers import placeholders
from webapp.services.chat.classifier import workspace_model
from webapp.services.chat.defaults import DEFAULT_INTENTS

NAME = re.compile(r"^[a-z0-9_]{2,60}$")
FACTS = {"business", "description", "phone", "website", "contact", "opening_hours", "pricing"}
MIN_PHRASES = 3


class IntentInvalid(DomainError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def chat_settings(session: Session, org_id: int, *, now: datetime) -> ChatSettings:
    """The workspace's chat settings, and its default intents, made on first use."""
    settings = session.scalars(select(ChatSettings).where(ChatSettings.org_id == org_id)).first()
    if settings is not None:
        return settings
    settings = ChatSettings(
        org_id=org_id,
        widget_key=secrets.token_urlsafe(16)[:22],
        web_enabled=True,
        sms_enabled=False,
        whatsapp_enabled=False,
        widget_title="Chat with us",
        opening_hours="",
        pricing="",
        created_at=now,
        updated_at=now,
    )
    session.add(settings)
    if session.scalar(select(ChatIntent.id).where(ChatIntent.org_id == org_id).limit(1)) is None:
        for spec in DEFAULT_INTENTS:
            session.add(
                ChatIntent(
                    org_id=org_id,
                    name=spec["name"],
                    description=spec["description"],
                    role=spec.get("role"),
                    training_phrases=list(spec["phrases"]),
                    responses=list(spec["responses"]),
                    actions=list(spec["actions"]),
                    next_response=0,
                    created_at=now,
                    updated_at=now,
                )
            )
    session.flush()
    return settings


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def check(session: Session, org_id: int, values: dict, intent: ChatIntent | None) -> dict:
    """Field errors of an intent's values (name, phrases, responses, actions, workflow)."""
    errors: dict[str, str] = {}
    name = (values.get("name") or "").strip().lower()
    if not NAME.match(name):
        errors["name"] = "Use 2-60 lower-case letters, digits or underscores, e.g. opening_hours."
    elif session.scalar(
        select(ChatIntent.id).where(
            ChatIntent.org_id == org_id,
            ChatIntent.name == name,
            ChatIntent.id != (intent.id if intent else 0),
        )
    ):
        errors["name"] = "Another intent has this name."
    phrases = lines(values.get("training_phrases", ""))
    if len(phrases) < MIN_PHRASES:
        errors["training_phrases"] = f"Give at least {MIN_PHRASES} phrases, one per line."
    responses = lines(values.get("responses", ""))
    if not responses and (intent is None or intent.role != "handover"):
        errors["responses"] = "Give at least one response, one per line."
    unknown = sorted({p for r in responses for p in placeholders(r)} - FACTS)
    if unknown:
        errors["responses"] = (
            f"Unknown fact {{{unknown[0]}}}: use one of " + ", ".join(sorted(FACTS)) + "."
        )
    bad = [a for a in values.get("actions", []) if a not in CHAT_ACTIONS]
    if bad:
        errors["actions"] = f"Unknown action {bad[0]}."
    workflow_id = values.get("workflow_id")
    if "start_workflow" in values.get("actions", []):
        found = workflow_id and session.scalar(
            select(Workflow.id).where(Workflow.id == workflow_id, Workflow.org_id == org_id)
        )
        if not found:
            errors["workflow_id"] = "Choose the workflow to start."
    return errors


def save_intent(
    session: Session, org_id: int, values: dict, *, intent: ChatIntent | None, now: datetime
) -> ChatIntent:
    """Add or change an intent and retrain the workspace's classifier. Raises IntentInvalid."""
    errors = check(session, org_id, values, intent)
    if errors:
        raise IntentInvalid(errors)
    if intent is None:
        intent = ChatIntent(org_id=org_id, next_response=0, created_at=now)
        session.add(intent)
    intent.name = values["name"].strip().lower()
    intent.description = (values.get("description") or "").strip()
    intent.training_phrases = lines(values["training_phrases"])
    intent.responses = lines(values.get("responses", ""))
    intent.actions = [a for a in CHAT_ACTIONS if a in values.get("actions", [])]
    intent.workflow_id = values.get("workflow_id") if "start_workflow" in intent.actions else None
    intent.next_response = 0
    intent.updated_at = now
    session.flush()
    workspace_model(session, org_id, now=now)  # trained now, so visitors never wait for it
    return intent


def delete_intent(session: Session, intent: ChatIntent, *, now: datetime) -> None:
    org_id = intent.org_id
    session.delete(intent)
    session.flush()
    workspace_model(session, org_id, now=now)


@dataclass(frozen=True)
class IntentFigures:
    intent: ChatIntent
    conversations: int
    escalated: int
    resolved_by_bot: int

    @property
    def escalation_rate(self) -> float | None:
        return self.escalated / self.conversations if self.conversations else None

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved_by_bot / self.conversations if self.conversations else None


def intent_figures(session: Session, org_id: int) -> list[IntentFigures]:
    """Per intent: the conversations where the bot understood it, how many were handed to a
    person, and how many ended resolved without one."""
    m, c = ConversationMessage, Conversation
    rows = session.execute(
        select(
            m.intent,
            func.count(distinct(c.id)),
            func.count(distinct(c.id)).filter(c.escalated_at.is_not(None)),
            func.count(distinct(c.id)).filter(
                and_(c.chat_state == "resolved", c.escalated_at.is_(None))
            ),
        )
        .join(c, c.id == m.conversation_id)
        .where(m.org_id == org_id, m.kind == "bot", m.intent.is_not(None))
        .group_by(m.intent)
    ).all()
    counts = {name: (n, e, r) for name, n, e, r in rows}
    intents = session.scalars(
        select(ChatIntent).where(ChatIntent.org_id == org_id).order_by(ChatIntent.name)
    )
    return [IntentFigures(i, *counts.get(i.name, (0, 0, 0))) for i in intents]


SETTINGS_FIELDS = (
    "web_enabled",
    "sms_enabled",
    "whatsapp_enabled",
    "widget_title",
    "opening_hours",
    "pricing",
)


def save_settings(
    session: Session, settings: ChatSettings, values: dict, *, now: datetime
) -> ChatSettings:
    for name in SETTINGS_FIELDS:
        value = values[name]
        setattr(settings, name, value.strip() if isinstance(value, str) else bool(value))
    settings.updated_at = now
    session.flush()
    return settings
