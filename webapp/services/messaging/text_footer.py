"""The opt-out footer of a contact's first text: "Reply STOP to opt out".

Carriers (CTIA's messaging principles) want the first message of a program to say how to
stop. It is added to the first SMS a contact receives from the workspace, and to the first
WhatsApp message, each channel on its own (an opt-out is per channel: STOP by SMS stops SMS);
later texts do not repeat it. The keyword stays STOP in every language, because that is the
word Twilio and inbound.py act on; the sentence around it is in the contact's language,
read from the number's country (German for Germany, Austria and Liechtenstein, else English —
the two languages the product ships).
"""

from __future__ import annotations

import re

import phonenumbers

FOOTERS = {
    "en": "Reply STOP to opt out",
    "de": "Antworten Sie STOP zum Abmelden",
}
GERMAN_REGIONS = frozenset({"DE", "AT", "LI"})
SAYS_STOP = re.compile(r"\bSTOP\b")  # the owner already wrote how to opt out


def footer_language(phone: str | None) -> str:
    """The language of the footer for a contact with this number: "de" or "en"."""
    try:
        number = phonenumbers.parse(phone or "", None)
    except phonenumbers.NumberParseException:
        return "en"
    return "de" if phonenumbers.region_code_for_number(number) in GERMAN_REGIONS else "en"


def with_footer(text: str, phone: str | None) -> str:
    """`text` ending with the opt-out footer in the contact's language (unchanged when it
    already tells how to stop)."""
    if SAYS_STOP.search(text):
        return text
    return f"{text.rstrip()}\n\n{FOOTERS[footer_language(phone)]}"
