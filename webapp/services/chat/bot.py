"""One visitor message in, the bot's answer out, on any channel.

The rules: the visitor's message is kept; while a person handles the conversation
(escalated) the bot says nothing. An address in the message makes the visitor a lead. Then
the workspace's classifier guesses the intent: a person is asked for, a complaint, a guess
under the tuned confidence or too close to the runner-up (tuning.py), or a second
misunderstanding (out of scope) in a row hands the conversation over; otherwise the intent
answers in turn and runs its actions. Every bot message keeps the intent and confidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import ChatIntent, Conversation, ConversationMessage, Lead
from webapp.services.chat import actions, answers, escalation
from webapp.services.chat.classifier import Guess, classify, workspace_model
from webapp.services.chat.threads import keep
from webapp.services.chat.tuning import escalates, tuned

MISUNDERSTANDINGS_BEFORE_HANDOVER = 2


@dataclass
class Turn:
    visitor: ConversationMessage
    reply: ConversationMessage | None  # None: the bot stays quiet (a person handles it)


def hear(
    session: Session,
    conversation: Conversation,
    body: str,
    *,
    now: datetime,
    provider: str | None = None,
    sid: str | None = None,
) -> Turn:
    """Keep the visitor's message and answer it. Flushes."""
    visitor = keep(session, conversation, "in", body, now=now, provider=provider, provider_sid=sid)
    if conversation.chat_state == "escalated":
        return Turn(visitor, None)
    conversation.chat_state = "open"  # a resolved conversation opens again
    text, intent, confidence = decide(session, conversation, body, now=now)
    reply = keep(
        session,
        conversation,
        "out",
        text,
        now=now,
        kind="bot",
        intent=intent,
        confidence=confidence,
        provider=provider,
    )
    return Turn(visitor, reply)


def decide(
    session: Session, conversation: Conversation, body: str, *, now: datetime
) -> tuple[str, str | None, float | None]:
    """(what the bot says, the intent it understood, its confidence)."""
    facts = answers.facts_of(session, conversation.org_id)
    fields = actions.address_in(session, conversation.org_id, body)
    captured = actions.capture(session, conversation, fields, now=now) if fields else None
    model = workspace_model(session, conversation.org_id, now=now)
    if model is None:
        return _hand_over(session, conversation, "no_intents", facts, None, now=now)
    guess = classify(model, body)
    intent = _intent(session, conversation.org_id, guess.intent)
    if captured is not None:
        return _after_capture(session, conversation, captured, facts, guess, now=now)
    if intent is None or (intent.role != "out_of_scope" and _unsure(guess)):
        return _hand_over(session, conversation, "unsure", facts, guess, now=now)
    if intent.role in ("handover", "complaint") or "handover" in intent.actions:
        reason = "complaint" if intent.role == "complaint" else "asked_for_person"
        said = answers.next_response(intent, facts)
        return _hand_over(session, conversation, reason, facts, guess, now=now, said=said)
    if intent.role == "out_of_scope":
        conversation.misunderstood = (conversation.misunderstood or 0) + 1
        if conversation.misunderstood >= MISUNDERSTANDINGS_BEFORE_HANDOVER:
            return _hand_over(session, conversation, "misunderstood", facts, guess, now=now)
        said = answers.next_response(intent, facts) or answers.line(
            'Sorry, I can\'t help with that. Say "person" to talk to someone at {business}.',
            facts,
        )
        return said, guess.intent, guess.confidence
    conversation.misunderstood = 0
    said = answers.next_response(intent, facts)
    if said is None:  # the workspace has not written down the fact this answer needs
        return _hand_over(session, conversation, "missing_fact", facts, guess, now=now)
    extra = _run_actions(session, conversation, intent, facts, now=now)
    return " ".join(part for part in (said, extra) if part), guess.intent, guess.confidence


def _unsure(guess: Guess) -> bool:
    values = tuned()
    return escalates(guess, values.threshold, values.gap)


def _intent(session: Session, org_id: int, name: str) -> ChatIntent | None:
    return session.scalars(
        select(ChatIntent).where(ChatIntent.org_id == org_id, ChatIntent.name == name)
    ).one_or_none()


def _lead(session: Session, conversation: Conversation) -> Lead | None:
    return session.get(Lead, conversation.lead_id) if conversation.lead_id else None


def _run_actions(
    session: Session,
    conversation: Conversation,
    intent: ChatIntent,
    facts: answers.Facts,
    *,
    now: datetime,
) -> str | None:
    lead = _lead(session, conversation)
    said = []
    if "lead_status" in intent.actions and lead is not None:
        said.append(actions.lead_status(lead, facts))
    if "callback" in intent.actions:
        said.append(actions.request_callback(session, conversation, lead, now=now))
    if "start_workflow" in intent.actions:
        actions.start_workflow(session, intent, lead, now=now)
    return " ".join(s for s in said if s) or None


def _after_capture(
    session: Session,
    conversation: Conversation,
    lead: Lead,
    facts: answers.Facts,
    guess: Guess,
    *,
    now: datetime,
) -> tuple[str, str | None, float | None]:
    """An address was left: thank the visitor, and finish what the bot asked it for (the
    status it was to look up, the call-back it was to book)."""
    conversation.misunderstood = 0
    asked = _last_bot_intent(session, conversation)
    said = [answers.line("Thanks! {business} will get back to you.", facts)]
    if asked == "order_status":
        said.append(actions.lead_status(lead, facts))
    if asked == "booking":
        said.append(actions.request_callback(session, conversation, lead, now=now) or "")
    return " ".join(s for s in said if s), "leave_details", guess.confidence


def _last_bot_intent(session: Session, conversation: Conversation) -> str | None:
    return session.scalar(
        select(ConversationMessage.intent)
        .where(
            ConversationMessage.conversation_id == conversation.id,
            ConversationMessage.kind == "bot",
        )
        .order_by(ConversationMessage.id.desc())
        .limit(1)
    )


def _hand_over(
    session: Session,
    conversation: Conversation,
    reason: str,
    facts: answers.Facts,
    guess: Guess | None,
    *,
    now: datetime,
    said: str | None = None,
) -> tuple[str, str | None, float | None]:
    escalation.escalate(session, conversation, reason, now=now)
    text = said or answers.line(answers.HANDOVER_LINE, facts)
    return text, guess.intent if guess else None, guess.confidence if guess else None
