"""What the WhatsApp coach says: the prompt for the AI layer, and the built-in writer.

`write_message` asks `complete_json` for {"message": "..."} with the workspace's goal,
tone and language and the conversation's last messages. Without OpenAI (or over budget)
the built-in writer answers: deterministic, offline, and still personal — the contact's
first name, the business, the next step it invites the customer to take, a variant that
changes from one message (and one contact) to the next, and for a reply, an answer to
what the contact just wrote.
"""

from __future__ import annotations

import re
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
# Written to the customer, about what the customer gets: the goal is the next step the
# business invites the customer to take, as an infinitive phrase in the coach's language
# ("book a first tasting visit", "einen ersten Probetermin buchen"), so every template that
# uses it puts it where a verb phrase reads naturally. German and French say "Sie"/"vous",
# Spanish and Dutch "tú"/"je", as shops in those countries usually write to customers.

_TEXT = {
    "en": {
        "followups": [
            "Hi {name}, it's {org}. Would you like to {goal}? Just reply to this message and we'll take care of the rest.",
            "Hello {name}, {org} here. Any questions before you {goal}? Send them our way, we're happy to help.",
            "Hi {name}, {org} again. Whenever you'd like to {goal}, a short reply here is all it takes.",
            "Hi {name}, this is {org}. Is there anything we can help you with? We'd love to hear from you.",
        ],
        "question": "Thanks for your question, {name}! We've passed “{quote}” on to the team and will get back to you shortly.",
        "thanks": "Thanks for your message, {name}! Good to hear from you.",
        "close": "If there's anything else, just reply here.",
        "cheer": "Have a lovely day!",
    },
    "de": {
        "followups": [
            "Hallo {name}, hier ist {org}. Möchten Sie {goal}? Antworten Sie einfach auf diese Nachricht, wir kümmern uns um den Rest.",
            "Hallo {name}, {org} hier. Haben Sie noch Fragen, bevor Sie {goal}? Schreiben Sie uns gern, wir helfen Ihnen weiter.",
            "Hallo {name}, hier ist noch einmal {org}. Wenn Sie {goal} möchten, genügt eine kurze Antwort auf diese Nachricht.",
            "Hallo {name}, hier ist {org}. Können wir Ihnen mit etwas weiterhelfen? Wir freuen uns, von Ihnen zu hören.",
        ],
        "question": "Danke für Ihre Frage, {name}! Wir haben „{quote}“ an unser Team weitergegeben und melden uns in Kürze bei Ihnen.",
        "thanks": "Vielen Dank für Ihre Nachricht, {name}! Schön, von Ihnen zu hören.",
        "close": "Wenn Sie noch etwas brauchen, schreiben Sie uns einfach hier.",
        "cheer": "Einen schönen Tag noch!",
    },
    "es": {
        "followups": [
            "Hola, {name}. Somos {org}. ¿Te gustaría {goal}? Responde a este mensaje y nosotros nos encargamos del resto.",
            "Hola, {name}. Te escribimos desde {org}. ¿Tienes alguna pregunta antes de {goal}? Escríbenos, te ayudamos encantados.",
            "Hola, {name}. Aquí {org} otra vez. Cuando te venga bien {goal}, basta con una respuesta corta a este mensaje.",
            "Hola, {name}. Te escribe el equipo de {org}. ¿Podemos ayudarte en algo? Nos encantará saber de ti.",
        ],
        "question": "¡Gracias por tu pregunta, {name}! Hemos pasado «{quote}» a nuestro equipo y te responderemos en breve.",
        "thanks": "¡Gracias por tu mensaje, {name}! Nos alegra saber de ti.",
        "close": "Si necesitas algo más, escríbenos aquí cuando quieras.",
        "cheer": "¡Que tengas un buen día!",
    },
    "fr": {
        "followups": [
            "Bonjour {name}, c'est {org}. Souhaitez-vous {goal} ? Répondez simplement à ce message, nous nous occupons du reste.",
            "Bonjour {name}, ici {org}. Une question avant de vous lancer ? Écrivez-nous, nous serons ravis de vous aider.",
            "Bonjour {name}, c'est encore {org}. Quand vous voudrez {goal}, il suffit de répondre à ce message.",
            "Bonjour {name}, ici {org}. Pouvons-nous vous aider en quoi que ce soit ? Nous serions ravis d'avoir de vos nouvelles.",
        ],
        "question": "Merci pour votre question, {name} ! Nous avons transmis « {quote} » à notre équipe, qui vous répondra très vite.",
        "thanks": "Merci pour votre message, {name} ! Ravis d'avoir de vos nouvelles.",
        "close": "Si vous avez besoin d'autre chose, écrivez-nous simplement ici.",
        "cheer": "Belle journée à vous !",
    },
    "nl": {
        "followups": [
            "Hoi {name}, met {org}. Wil je {goal}? Stuur gewoon een berichtje terug, dan regelen wij de rest.",
            "Hallo {name}, hier is {org}. Heb je nog vragen? Stuur ons gerust een berichtje, we helpen je graag.",
            "Hoi {name}, {org} hier nog een keer. Wil je {goal}? Dan is een kort antwoord op dit bericht genoeg.",
            "Hallo {name}, dit is {org}. Kunnen we je ergens mee helpen? We horen graag van je.",
        ],
        "question": "Bedankt voor je vraag, {name}! We hebben “{quote}” doorgegeven aan ons team en komen er snel bij je op terug.",
        "thanks": "Bedankt voor je bericht, {name}! Leuk om van je te horen.",
        "close": "Heb je nog iets nodig? Stuur ons gerust een berichtje.",
        "cheer": "Fijne dag nog!",
    },
}
UPBEAT_WORDS = ("motiv", "energ", "enthus", "upbeat", "cheer", "begeister")
# Words of a goal written from the business's side ("get new enquiries to order …"): such a
# goal is never put in front of a customer (settings refuse it; an old one is left out).
OWNER_SIDE = re.compile(
    r"\b(our goal|leads?|enquir(y|ies)|inquir(y|ies)|customers|clients|contacts|conversions?|"
    r"convert|their|them|unser(e|em|en)? ziel|kunden|anfragen|interessenten)\b",
    re.IGNORECASE,
)
# German capitalises nouns: only a leading article or pronoun of the goal is lower-cased.
_GERMAN_LOWER = frozenset(
    "ein eine einen einem einer den die das dem der unser unsere unseren unserem uns "
    "bei mit zu im in am noch mal gleich jetzt heute".split()
)


def _goal_phrase(goal: str, language: str) -> str:
    """The goal as a phrase inside a sentence: no final stop, a sentence capital dropped."""
    phrase = " ".join(goal.split()).rstrip(".!")[:200]
    if OWNER_SIDE.search(phrase):
        return ""
    first = phrase.split(" ", 1)[0]
    if language == "de" and first.lower() not in _GERMAN_LOWER:
        return phrase
    if phrase[:1].isupper() and not phrase[:2].isupper():
        phrase = phrase[0].lower() + phrase[1:]
    return phrase


def _tidy(message: str, language: str) -> str:
    """One line; an empty name leaves no stray comma ("Hallo , hier" → "Hallo, hier")."""
    message = " ".join(message.split()).replace(" ,", ",")
    if language == "fr":  # French keeps its space before ! ? : ;
        return re.sub(r",\s*([!?:;])", r" \1", message).replace(", .", ".")
    return re.sub(r",\s*([!?.:;])", r"\1", message)


def builtin_message(brief: Brief) -> dict:
    """The built-in coach: a personal message to the customer from templates, the same for
    the same input. Contacts get different variants on the same day (the variant follows the
    name as well as the count of messages sent before)."""
    text = _TEXT.get(brief.language, _TEXT["en"])
    language = brief.language if brief.language in _TEXT else "en"
    values = {
        "name": brief.first_name,
        "org": brief.org_name,
        "goal": _goal_phrase(brief.goal, language),
    }
    if brief.kind == "reply":
        last = next((t.body.strip() for t in reversed(brief.history) if t.direction == "in"), "")
        if "?" in last:
            opening = text["question"].format(quote=_shorten(last, 120), **values)
        else:
            opening = text["thanks"].format(**values)
        message = f"{opening} {text['close'].format(**values)}"
    else:
        sent_before = sum(1 for t in brief.history if t.direction == "out")
        variants = [v for v in text["followups"] if values["goal"] or "{goal}" not in v]
        offset = sum(map(ord, brief.first_name))
        message = variants[(sent_before + offset) % len(variants)].format(**values)
    if any(word in brief.tone.lower() for word in UPBEAT_WORDS):
        message = f"{message} {text['cheer']}"
    return {"message": _shorten(_tidy(message, language), MAX_LENGTH)}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- the prompt ---------------------------------------------------------------------------


def system_prompt(brief: Brief) -> str:
    language = LANGUAGES.get(brief.language, brief.language)
    return (
        f"You are the WhatsApp coach of {brief.org_name}. Write one short WhatsApp message "
        f"(at most three sentences, plain text, no markdown) to a customer, in {language}, in a "
        f"{brief.tone} tone. Write as the business to the customer, about what the customer gets; "
        f"the next step to invite the customer to take: {brief.goal or 'get in touch with any question'}. "
        "Never call it 'our goal', never speak of the customer as a lead or an enquiry, no "
        "cheerleading ('You've got this'). Address the customer by first name when known. Never "
        "invent prices, appointments or promises, never ask for payment or personal data, and if "
        "the customer wants no more messages, tell them to reply STOP."
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
