"""What the WhatsApp coach says: the prompt for the AI layer, and the built-in writer.

`write_message` asks `complete_json` for {"message": "..."} with the workspace's goal,
tone and language and the conversation's last messages. Without OpenAI (or over budget)
the built-in writer answers: deterministic, offline, and still personal — the contact's
first name, the workspace, the goal, a variant that changes from one message to the next,
and for a reply, an answer to what the contact just wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints, ValidationError
from sqlalchemy.orm import Session

from webapp.core.json_schema import ai_schema
from webapp.services.ai import BUILTIN_MODEL, AiResult, complete_json

HISTORY_MESSAGES = 10  # the last N messages of the conversation go into the prompt
MAX_LENGTH = 700

LANGUAGES = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "nl": "Nederlands",
}


class CoachMessage(BaseModel):
    """One WhatsApp message of the coach."""

    message: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LENGTH)
    ]


SCHEMA = ai_schema(CoachMessage)


@dataclass(frozen=True)
class Turn:
    """One message of the history, oldest first."""

    direction: str  # in | out
    body: str


@dataclass(frozen=True)
class Brief:
    """Everything the writer knows: who writes, to whom, why, and what was said."""

    org_name: str
    first_name: str
    goal: str
    tone: str
    language: str
    kind: str  # followup | reply
    history: Sequence[Turn] = ()


# --- the built-in writer ------------------------------------------------------------------

_TEXT = {
    "en": {
        "there": "there",
        "followups": [
            "Hi {name}, it's {org}. A quick check-in on our goal: {goal}. How is it going this week?",
            "Hello {name}! {org} here. What is one small step you can take today towards {goal}?",
            "Hi {name}, {org} again. Progress beats perfection: tell me one thing that went well since we last spoke.",
            "Hey {name}, a nudge from {org}: {goal} is within reach. Anything I can help you with?",
        ],
        "question": "Thanks for your question, {name}. You asked: “{quote}”. We'll make sure you get a proper answer from the team.",
        "thanks": "Thanks for your message, {name}! Good to hear from you.",
        "close": "Let's keep going with {goal} — I'll check in again soon.",
        "cheer": "You've got this!",
    },
    "de": {
        "there": "",
        "followups": [
            "Hallo {name}, hier ist {org}. Kurzer Check-in zu unserem Ziel: {goal}. Wie läuft es diese Woche?",
            "Hallo {name}! {org} hier. Was ist ein kleiner Schritt, den du heute für {goal} machen kannst?",
            "Hi {name}, noch einmal {org}. Fortschritt schlägt Perfektion: Was lief seit unserem letzten Kontakt gut?",
            "Hey {name}, ein kleiner Anstoß von {org}: {goal} ist in Reichweite. Kann ich dir bei etwas helfen?",
        ],
        "question": "Danke für deine Frage, {name}. Du hast gefragt: „{quote}“. Das Team meldet sich mit einer Antwort.",
        "thanks": "Danke für deine Nachricht, {name}! Schön, von dir zu hören.",
        "close": "Lass uns dranbleiben: {goal}. Ich melde mich bald wieder.",
        "cheer": "Du schaffst das!",
    },
    "es": {
        "there": "",
        "followups": [
            "Hola {name}, somos {org}. Un repaso rápido de nuestro objetivo: {goal}. ¿Qué tal va esta semana?",
            "¡Hola {name}! Aquí {org}. ¿Qué pequeño paso puedes dar hoy hacia {goal}?",
            "Hola {name}, otra vez {org}. Avanzar es mejor que ser perfecto: cuéntame algo que haya ido bien.",
            "Hola {name}, un empujón de {org}: {goal} está a tu alcance. ¿Te puedo ayudar en algo?",
        ],
        "question": "Gracias por tu pregunta, {name}. Preguntaste: «{quote}». El equipo te responderá pronto.",
        "thanks": "¡Gracias por tu mensaje, {name}! Nos alegra saber de ti.",
        "close": "Sigamos con {goal}; te escribo pronto.",
        "cheer": "¡Tú puedes!",
    },
    "fr": {
        "there": "",
        "followups": [
            "Bonjour {name}, c'est {org}. Petit point sur notre objectif : {goal}. Comment se passe cette semaine ?",
            "Bonjour {name} ! Ici {org}. Quel petit pas pouvez-vous faire aujourd'hui vers {goal} ?",
            "Bonjour {name}, encore {org}. Le progrès compte plus que la perfection : qu'est-ce qui s'est bien passé ?",
            "Bonjour {name}, un petit coup de pouce de {org} : {goal} est à portée de main. Je peux vous aider ?",
        ],
        "question": "Merci pour votre question, {name}. Vous avez demandé : « {quote} ». L'équipe vous répondra rapidement.",
        "thanks": "Merci pour votre message, {name} ! Ravi d'avoir de vos nouvelles.",
        "close": "Continuons vers {goal} ; je reviens vers vous bientôt.",
        "cheer": "Vous allez y arriver !",
    },
    "nl": {
        "there": "",
        "followups": [
            "Hoi {name}, hier is {org}. Even checken hoe het gaat met ons doel: {goal}. Hoe gaat het deze week?",
            "Hallo {name}! {org} hier. Welke kleine stap kun je vandaag zetten richting {goal}?",
            "Hoi {name}, nogmaals {org}. Vooruitgang telt meer dan perfectie: wat ging er goed sinds ons laatste contact?",
            "Hé {name}, een duwtje van {org}: {goal} is binnen bereik. Kan ik ergens mee helpen?",
        ],
        "question": "Bedankt voor je vraag, {name}. Je vroeg: “{quote}”. Het team komt bij je terug met een antwoord.",
        "thanks": "Bedankt voor je bericht, {name}! Leuk om van je te horen.",
        "close": "Laten we doorgaan met {goal}; ik spreek je snel weer.",
        "cheer": "Jij kunt dit!",
    },
}
UPBEAT_WORDS = ("motiv", "energ", "enthus", "upbeat", "cheer", "begeister")


def builtin_message(brief: Brief) -> dict:
    """The built-in coach: a personal message from templates, the same for the same input."""
    text = _TEXT.get(brief.language, _TEXT["en"])
    name = brief.first_name or text["there"]
    goal = (brief.goal.strip().rstrip(".") or "your goal")[:200]
    goal = goal[0].lower() + goal[1:] if goal[:1].isupper() and not goal[:2].isupper() else goal
    values = {"name": name, "org": brief.org_name, "goal": goal}
    if brief.kind == "reply":
        last = next((t.body.strip() for t in reversed(brief.history) if t.direction == "in"), "")
        if "?" in last:
            opening = text["question"].format(quote=_shorten(last, 120), **values)
        else:
            opening = text["thanks"].format(**values)
        message = f"{opening} {text['close'].format(**values)}"
    else:
        sent_before = sum(1 for t in brief.history if t.direction == "out")
        variants = text["followups"]
        message = variants[sent_before % len(variants)].format(**values)
    if any(word in brief.tone.lower() for word in UPBEAT_WORDS):
        message = f"{message} {text['cheer']}"
    message = " ".join(message.replace(" ,", ",").split())
    return {"message": _shorten(message, MAX_LENGTH)}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- the prompt ---------------------------------------------------------------------------


def system_prompt(brief: Brief) -> str:
    language = LANGUAGES.get(brief.language, brief.language)
    return (
        f"You are the WhatsApp coach of {brief.org_name}. Write one short WhatsApp message "
        f"(at most three sentences, plain text, no markdown) in {language}, in a {brief.tone} tone. "
        f"The coaching goal: {brief.goal or 'keep the contact engaged'}. Address the contact by first name "
        "when known. Never invent prices, appointments or promises, never ask for payment or personal "
        "data, and if the contact wants no more messages, tell them to reply STOP."
    )


def user_prompt(brief: Brief) -> str:
    task = (
        "Answer the contact's latest message, using the conversation as context."
        if brief.kind == "reply"
        else "Write the next scheduled follow-up; build on the conversation and do not repeat earlier messages."
    )
    lines = [
        f"Contact's first name: {brief.first_name or '(unknown)'}",
        f"Task: {task}",
        "Conversation so far (oldest first):",
    ]
    if brief.history:
        for turn in brief.history:
            who = "Contact" if turn.direction == "in" else "Coach"
            lines.append(f"{who}: {turn.body}")
    else:
        lines.append("(no messages yet)")
    return "\n".join(lines)


def write_message(session: Session, org_id: int, brief: Brief, *, now: datetime) -> AiResult:
    """The message for `brief` through the AI layer (records an AiCall in `session`, flushes),
    validated as CoachMessage (trimmed); the built-in writer's when the answer does not fit.

    Call with no transaction open in `session` (see complete_json).
    """
    result = complete_json(
        session,
        org_id,
        purpose="coach_reply" if brief.kind == "reply" else "coach_followup",
        system=system_prompt(brief),
        prompt=user_prompt(brief),
        schema=SCHEMA,
        builtin=lambda: builtin_message(brief),
        now=now,
    )
    try:
        answer = CoachMessage.model_validate(result.data)
    except ValidationError as exc:  # the AI layer checks a subset; the model has the last word
        reason = f"the {result.provider} message did not fit the expected format ({exc.error_count()} problems)"
        return AiResult(builtin_message(brief), "builtin", BUILTIN_MODEL, reason)
    return replace(result, data=answer.model_dump())
