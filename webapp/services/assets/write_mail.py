"""The offline writer's email sequences and voice-ad scripts."""

from __future__ import annotations

from webapp.services.assets import banks
from webapp.services.assets.facts import Picker, facts_of
from webapp.services.assets.limits import EMAIL
from webapp.services.marketing import Brief

# Speaking pace the voice scripts are written for (words per second, a calm radio read).
WORDS_PER_SECOND = {"en": 2.5, "de": 2.2}


def _kind(brief: Brief) -> str:
    return brief.campaign_type or "lead_generation"


def email_sequence(brief: Brief, options: dict, picker: Picker) -> dict:
    bank = banks.mail(brief.language)
    facts = facts_of(brief, {"cta": bank.CTA})
    roles = bank.PLAN[_kind(brief)]
    emails = []
    for n, role in enumerate(roles):
        subject = picker.one(bank.SUBJECT[role], facts, f"subject-{role}", limit=EMAIL["subject"])
        preheader = picker.one(bank.PREHEADER[role], facts, f"pre-{role}", limit=EMAIL["preheader"])
        paragraphs = _two(picker.some(bank.PARAGRAPHS[role], facts, 9, f"body-{role}"), facts)
        emails.append(
            {
                "day": bank.DAYS[n],
                "subject": subject,
                "preheader": preheader,
                "body": "\n\n".join(
                    [bank.GREETING, *paragraphs, _action(bank, facts), _sign_off(bank, facts, n)]
                ),
            }
        )
    return {"emails": emails, "language": brief.language}


def _two(lines: list[str], facts: dict) -> list[str]:
    """The first line and the next that does not repeat the offer (or the theme) again."""
    first = lines[:1]
    for line in lines[1:]:
        if not any(
            facts[k] and facts[k] in first[0] and facts[k] in line for k in ("offer", "theme")
        ):
            return [*first, line]
    return first


def _action(bank, facts: dict) -> str:
    lines = []
    if facts["url"]:
        lines.append(bank.LINK.format(**facts))
    if facts["phone"]:
        lines.append(bank.CALL.format(**facts))
    return "\n".join(lines) or bank.REPLY


def _sign_off(bank, facts: dict, n: int) -> str:
    return bank.SIGN_OFF[n % len(bank.SIGN_OFF)].format(**facts)


def voice_script(brief: Brief, options: dict, picker: Picker) -> dict:
    """A script that reads in about `length` seconds: the roles in speaking order, then
    more of the value lines until the words fill the time."""
    length = int(options.get("length") or 30)
    bank = banks.mail(brief.language)
    facts = facts_of(brief, {"cta": bank.CTA})
    target = int(length * WORDS_PER_SECOND.get(brief.language, 2.5))
    core = [picker.one(bank.VOICE[r], facts, f"voice-{r}") for r in ("hook", "about", "value")]
    ending = [picker.one(bank.VOICE[r], facts, f"voice-{r}") for r in ("offer", "cta", "close")]
    sentences = [line for line in core + ending if line]

    def words() -> int:
        return sum(len(s.split()) for s in sentences)

    while words() > target and len(sentences) > 2:  # a short slot keeps hook and close
        sentences.pop(-2)
    extras = picker.some(bank.VOICE["value"] + bank.VOICE["more"], facts, 12, "voice-more")
    at = len([line for line in core if line])  # more of the value, before the offer
    for line in extras:
        if words() >= target * 0.9:
            break
        if line not in sentences and words() + len(line.split()) <= target * 1.05:
            sentences.insert(at, line)
            at += 1
    return {
        "length": length,
        "script": " ".join(sentences),
        "words": words(),
        "language": brief.language,
    }
