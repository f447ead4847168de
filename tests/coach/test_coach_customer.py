"""The coach writes to the customer, about the customer: only with WhatsApp consent, inside
the window of the customer's own zone, in natural wording in each language it ships."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.coach.test_coach import contact, process, switch_on
from webapp.core.extensions import db
from webapp.models import CoachFollowup, OutboxMessage
from webapp.services.coach import audience as coach
from webapp.services.coach.inbound import record_inbound
from webapp.services.coach.schedule import contact_zone
from webapp.services.coach.writer import LANGUAGES, Brief, Turn, builtin_message
from webapp.services.leads.capture import capture_lead

LA = "+14155550123"  # San Francisco: America/Los_Angeles


def lead_with(org_id: int, clock, name: str, phone: str, source: str = "csv", **extra):
    lead, _created = capture_lead(
        db.session, org_id, {"full_name": name, "phone": phone, **extra}, source=source, now=clock()
    )
    db.session.commit()
    return lead


def enrolled(org_id: int) -> set[int]:
    return set(
        db.session.scalars(select(CoachFollowup.lead_id).where(CoachFollowup.org_id == org_id))
    )


# --- consent ----------------------------------------------------------------------------------


def test_only_contacts_with_whatsapp_consent_are_coached(app, alice_org, clock):
    imported = lead_with(alice_org.id, clock, "Ivy Import", "+442079460101")  # a CSV row, no opt-in
    typed = lead_with(alice_org.id, clock, "Tom Typed", "+442079460102", source="manual")
    ticked = lead_with(
        alice_org.id, clock, "Tia Ticked", "+442079460103", source="form", whatsapp_consent="yes"
    )
    wrote = lead_with(alice_org.id, clock, "Wes Wrote", "+442079460104")
    refused = lead_with(alice_org.id, clock, "Rae Refused", "+442079460105", whatsapp_consent="no")
    switch_on(alice_org.id, clock, audience="all_contacts")
    record_inbound(db.session, alice_org.id, wrote, "Hello!", "SMwrote1", clock())
    db.session.commit()

    coach.schedule_followups(db.session, alice_org.id, now=clock())
    db.session.commit()

    chosen = enrolled(alice_org.id)
    assert ticked.id in chosen and wrote.id in chosen
    assert not chosen & {imported.id, typed.id, refused.id}


def test_a_followup_of_a_contact_without_consent_is_skipped_not_sent(app, alice_org, clock):
    dana = contact(alice_org.id, clock, "Dana Diaz", "+442079460201")
    switch_on(alice_org.id, clock, audience="all_contacts", frequency="daily")
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    dana.extra = {**dana.extra, "whatsapp_consent": "no"}  # withdrawn before it went out
    db.session.commit()

    result = process(app, clock)

    assert (result.sent, result.skipped) == (0, 1)
    assert db.session.scalars(select(OutboxMessage)).first() is None
    followup = db.session.scalars(select(CoachFollowup)).one()
    assert followup.last_error == "The contact has not agreed to WhatsApp messages."


# --- the contact's own time -------------------------------------------------------------------


def test_the_zone_comes_from_the_contact_then_its_number_then_the_workspace():
    assert contact_zone("Asia/Tokyo", LA, "Europe/London") == "Asia/Tokyo"
    assert contact_zone(None, LA, "Europe/London") == "America/Los_Angeles"
    assert contact_zone("Not/AZone", "+4930123456", "Europe/London") == "Europe/Berlin"
    assert contact_zone(None, "+18005550100", "Europe/London") == "Europe/London"  # toll-free
    assert contact_zone(None, None, "Nope") == "UTC"


def test_a_los_angeles_contact_is_written_to_in_its_own_morning(app, alice_org, clock):
    """Monday 10:00 UTC is 10:00 in London but 02:00 in Los Angeles: the +1 415 contact's
    first follow-up waits for 09:00 there (17:00 UTC), and nothing goes out at 02:00."""
    assert alice_org.timezone == "Europe/London"
    paul = lead_with(alice_org.id, clock, "Paul Pacific", LA, whatsapp_consent="yes")
    # Lena's follow-up was queued while her zone was saved as London (due 10:00 UTC) ...
    lena = lead_with(
        alice_org.id, clock, "Lena Late", "+14155550124",
        whatsapp_consent="yes", timezone="Europe/London",
    )  # fmt: skip
    switch_on(alice_org.id, clock, audience="all_contacts", frequency="daily")
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    lena.timezone = None  # ... then cleared: her number says Los Angeles
    db.session.commit()

    def due(lead) -> datetime:
        return db.session.scalars(
            select(CoachFollowup.due_at).where(CoachFollowup.lead_id == lead.id)
        ).one()

    nine_in_la = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    assert (due(paul), due(lena)) == (nine_in_la, clock())

    result = process(app, clock)  # 02:00 in Los Angeles: Lena's waits for her morning
    assert (result.sent, result.deferred) == (0, 1)
    assert db.session.scalars(select(OutboxMessage)).first() is None
    db.session.expire_all()
    assert due(lena) == nine_in_la

    clock.set(datetime(2026, 11, 23, 17, 5, tzinfo=UTC))  # 09:05 in Los Angeles
    assert process(app, clock).sent == 2


# --- the words --------------------------------------------------------------------------------

OWNER_PHRASES = ("our goal", "you've got this", "du schaffst das", "unser ziel", "check-in on")


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("tone", ["friendly", "motivating and upbeat"])
def test_the_messages_address_the_customer(language, tone):
    goal = "Get new enquiries to order their first celebration cake"  # written as the owner's aim
    texts = set()
    for sent in range(4):
        for name in ("Paul", "Ana", ""):
            history = tuple(Turn("out", "earlier") for _ in range(sent))
            texts.add(
                builtin_message(
                    Brief("Alice Bakes", name, goal, tone, language, "followup", history)
                )["message"]
            )
    for text in texts:
        lowered = text.lower()
        assert not any(p in lowered for p in OWNER_PHRASES), text
        assert "enquiries" not in lowered and "celebration cake" not in lowered, text
        assert ", ," not in text and " ," not in text and "Hallo ," not in text, text
    assert len(texts) >= 3  # varied, not one line for everyone


def test_a_goal_from_the_owners_side_is_refused_in_the_settings(app, alice_org, clock):
    with pytest.raises(coach.SettingsInvalid) as refused:
        switch_on(
            alice_org.id, clock, goal="get new enquiries to order their first celebration cake"
        )
    assert "next step" in refused.value.errors["goal"]
    assert not coach.validate_settings({**coach.DEFAULTS})  # the default goal itself is fine


def test_the_default_goal_reads_as_an_invitation_to_the_customer():
    brief = Brief("Alice Bakes", "Paul", coach.DEFAULTS["goal"], "friendly", "en", "followup")
    assert builtin_message(brief)["message"] == (
        "Hi Paul, Alice Bakes again. Whenever you'd like to come in for a first visit, "
        "a short reply here is all it takes."
    )


GERMAN = {
    0: "Hallo Dana, hier ist Alice Bakes. Möchten Sie einen ersten Probetermin buchen? "
    "Antworten Sie einfach auf diese Nachricht, wir kümmern uns um den Rest.",
    1: "Hallo Dana, Alice Bakes hier. Haben Sie noch Fragen, bevor Sie einen ersten Probetermin "
    "buchen? Schreiben Sie uns gern, wir helfen Ihnen weiter.",
    2: "Hallo Dana, hier ist noch einmal Alice Bakes. Wenn Sie einen ersten Probetermin buchen "
    "möchten, genügt eine kurze Antwort auf diese Nachricht.",
}


@pytest.mark.parametrize("variant", sorted(GERMAN))
def test_german_followups_are_grammatical(variant):
    """Verb at the end of a subordinate clause, one form of address (Sie), nouns capitalised."""
    offset = sum(map(ord, "Dana"))
    history = tuple(Turn("out", "x") for _ in range((variant - offset) % 4))
    brief = Brief("Alice Bakes", "Dana", "Einen ersten Probetermin buchen.", "freundlich", "de",
                  "followup", history)  # fmt: skip
    text = builtin_message(brief)["message"]
    assert text == GERMAN[variant]
    assert " du " not in f" {text.lower()} " and " dir " not in f" {text.lower()} "


def test_german_keeps_a_leading_noun_capitalised_and_replies_politely():
    brief = Brief("Alice Bakes", "", "Torten für Ihre Feier probieren", "freundlich", "de",
                  "followup")  # fmt: skip
    assert builtin_message(brief)["message"].startswith(
        "Hallo, hier ist Alice Bakes. Möchten Sie Torten für Ihre Feier probieren?"
    )
    reply = builtin_message(
        Brief(
            "Alice Bakes",
            "",
            "einen Termin buchen",
            "freundlich",
            "de",
            "reply",
            (Turn("in", "Haben Sie sonntags geöffnet?"),),
        )  # fmt: skip
    )["message"]
    assert reply == (
        "Danke für Ihre Frage! Wir haben „Haben Sie sonntags geöffnet?“ an unser Team "
        "weitergegeben und melden uns in Kürze bei Ihnen. Wenn Sie noch etwas brauchen, "
        "schreiben Sie uns einfach hier."
    )
