"""The built-in writer for the library's other templates (email subject lines, blog
outline) and for rewriting a text for a goal (shorter, more urgent, friendlier, for SMS).
Offline, in English and German, by rules on sentences and words: nothing is made up."""

from __future__ import annotations

import re

from webapp.services.assets import banks
from webapp.services.assets.facts import Picker, facts_of, first_sentence
from webapp.services.assets.limits import EMAIL
from webapp.services.marketing import Brief

GOALS = ("shorter", "more_urgent", "friendlier", "sms")
SMS_MAX = 160
SENTENCE = re.compile(r"(?<=[.!?…])\s+")
FILLER = {
    "en": r"\b(?:really|very|just|actually|basically|simply|quite|truly|totally)\s+",
    "de": r"\b(?:wirklich|sehr|einfach|eigentlich|ganz|total|echt)\s+",
}
URGENT = {
    "en": ("Only a few days left: ", " Don't wait — today is the day."),
    "de": ("Nur noch wenige Tage: ", " Warten Sie nicht – am besten noch heute."),
}
FRIENDLY = {
    "en": ("Hi there! ", " We'd love to hear from you — just reply anytime."),
    "de": ("Hallo! ", " Wir freuen uns auf Ihre Nachricht – antworten Sie einfach jederzeit."),
}
OUTLINE = {
    "en": {
        "title": [
            "{topic}: a practical guide",
            "Everything you need to know about {topic}",
            "{topic}, explained simply",
        ],
        "hook": "Why {topic} matters to {audience}, and what you will know by the end.",
        "sections": [
            ("What {topic} is", ["The basics in plain words", "Common misunderstandings"]),
            (
                "Why it matters",
                ["What changes when you get it right", "What it costs to ignore it"],
            ),
            ("How to get started", ["A first step you can take today", "Tools and help you need"]),
            ("Mistakes to avoid", ["The three most common ones", "How to spot them early"]),
            ("Real examples", ["A small business that got it right", "What we learned"]),
            ("Questions people ask", ["About cost and time", "About results"]),
        ],
        "conclusion": "Summary and next step: {cta}",
        "meta": "{topic}: what it is, why it matters and how to start, with examples and the mistakes to avoid.",
    },
    "de": {
        "title": [
            "{topic}: ein praktischer Leitfaden",
            "Alles, was Sie über {topic} wissen müssen",
            "{topic} einfach erklärt",
        ],
        "hook": "Warum {topic} für {audience} wichtig ist – und was Sie am Ende wissen.",
        "sections": [
            (
                "Was {topic} ist",
                ["Die Grundlagen in einfachen Worten", "Häufige Missverständnisse"],
            ),
            (
                "Warum es wichtig ist",
                ["Was sich ändert, wenn es gelingt", "Was es kostet, es zu ignorieren"],
            ),
            ("So fangen Sie an", ["Ein erster Schritt für heute", "Werkzeuge und Hilfe"]),
            (
                "Fehler, die Sie vermeiden sollten",
                ["Die drei häufigsten", "Wie Sie sie früh erkennen"],
            ),
            (
                "Beispiele aus der Praxis",
                ["Ein kleines Unternehmen, dem es gelang", "Was wir gelernt haben"],
            ),
            ("Häufige Fragen", ["Zu Kosten und Zeit", "Zu Ergebnissen"]),
        ],
        "conclusion": "Zusammenfassung und nächster Schritt: {cta}",
        "meta": "{topic}: was es ist, warum es wichtig ist und wie Sie anfangen – mit Beispielen und typischen Fehlern.",
    },
}


def subject_lines(brief: Brief, variation: int, count: int = 5) -> list[str]:
    bank = banks.mail(brief.language)
    facts = facts_of(brief, {"cta": bank.CTA})
    picker = Picker(f"{brief.business_name}|{brief.objective}|subjects", variation)
    every = [line for role in bank.SUBJECT.values() for line in role]
    return picker.some(every, facts, count, "subjects", EMAIL["subject"])


def blog_outline(brief: Brief, topic: str, keywords: str, variation: int) -> str:
    words = OUTLINE.get(brief.language, OUTLINE["en"])
    cta = banks.mail(brief.language).CTA[brief.campaign_type or "lead_generation"]
    audience = brief.audience or ("our customers" if brief.language != "de" else "unsere Kunden")
    values = {"topic": topic.strip(), "audience": audience, "cta": cta}
    lines = [f"# {words['title'][variation % len(words['title'])].format(**values)}", ""]
    lines.append(words["hook"].format(**values))
    sections = words["sections"][variation % 2 :][:6]
    for n, (head, subs) in enumerate(sections, 1):
        lines += ["", f"## {n}. {head.format(**values)}", *(f"- {s}" for s in subs)]
    if keywords.strip():
        lines += ["", f"Keywords: {keywords.strip()}"]
    meta = words["meta"].format(**values)
    lines += [
        "",
        f"## {words['conclusion'].format(**values)}",
        "",
        f"Meta: {meta if len(meta) <= 160 else first_sentence(meta)[:157].rsplit(' ', 1)[0] + '.'}",
    ]
    return "\n".join(lines)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(" ".join(text.split())) if s.strip()]


def optimize(text: str, goal: str, language: str) -> tuple[str, list[str]]:
    """`text` rewritten for `goal`, and notes on what was done."""
    lang = language if language in FILLER else "en"
    if goal == "shorter":
        parts = _sentences(re.sub(FILLER[lang], "", text, flags=re.IGNORECASE))
        keep = parts[:1] + ([parts[-1]] if len(parts) > 1 else [])
        middle = parts[1:-1]
        while middle and len(" ".join(keep)) < len(text) * 0.5:
            keep.insert(-1, middle.pop(0))
        return " ".join(keep), [f"kept {len(keep)} of {len(parts)} sentences, dropped filler words"]
    if goal == "more_urgent":
        before, after = URGENT[lang]
        return f"{before}{text.strip()}{after}", [
            "added a deadline up front and a nudge at the end"
        ]
    if goal == "friendlier":
        before, after = FRIENDLY[lang]
        return f"{before}{text.strip()}{after}", ["added a greeting and an invitation to reply"]
    return _sms(text)


def _sms(text: str) -> tuple[str, list[str]]:
    """One SMS (160 characters): no emoji, hashtags or line breaks; whole sentences while
    they fit, and the link kept when there is one."""
    link = re.search(r"https?://\S+", text)
    plain = re.sub(r"#\w+|https?://\S+|[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]", "", text)
    parts = _sentences(plain)
    tail = f" {link.group(0)}" if link else ""
    out: list[str] = []
    for sentence in parts:
        if len(" ".join([*out, sentence]) + tail) <= SMS_MAX:
            out.append(sentence)
    notes = [f"{len(out)} of {len(parts)} sentences fit one SMS"]
    if not out and parts:  # one sentence longer than an SMS: end it at a word boundary
        room = SMS_MAX - len(tail) - 1
        out = [parts[0][:room].rsplit(" ", 1)[0] + "…"]
        notes = ["the first sentence alone is longer than an SMS; it ends at a word boundary"]
    return (" ".join(out) + tail).strip(), notes
