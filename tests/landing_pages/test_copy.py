"""The offline copy writer: specific to the business and campaign, varied, German when
asked, and never a blank or a placeholder on the page."""

from __future__ import annotations

import dataclasses
import json

import pytest

from webapp.models import CAMPAIGN_TYPES
from webapp.services.landing_pages import draft_sections
from webapp.services.marketing import Brief

BAKERY = Brief(
    business_name="Alice Bakes",
    description="We bake sourdough and cakes every morning in our Leeds kitchen.",
    audience="office teams",
    location="Leeds",
    market="b2b",
    interests=(),
    value_proposition="Real bread, baked today, delivered by 8am.",
    tone="warm",
    key_messages=("Everything is baked the same morning",),
    language="en",
    primary_color="#1d4ed8",
    accent_color="#f59e0b",
    has_logo=False,
    website="https://alicebakes.example",
    phone="0113 496 0000",
    campaign_id=7,
    campaign_name="Office breakfasts",
    campaign_type="lead_generation",
    objective="20 new office customers",
    offer="a free pastry box with the first order",
)
BARBER = dataclasses.replace(
    BAKERY,
    business_name="Charlie Cuts",
    description="A two-chair barber shop in Bristol's old town.",
    audience="men who want a proper cut without the wait",
    location="Bristol",
    value_proposition="Walk in, sit down, walk out sharp in 30 minutes.",
    key_messages=(),
    phone="",
    campaign_id=9,
    campaign_name="Come back",
    campaign_type="re_engagement",
    offer="20 % off your next cut",
)
EMPTY = dataclasses.replace(
    BAKERY,
    business_name="Nora's",
    description="",
    audience="",
    location="",
    value_proposition="",
    key_messages=(),
    website="",
    phone="",
    campaign_id=None,
    campaign_name="",
    campaign_type="",
    objective="",
    offer="",
)


def _texts(sections: dict) -> list[str]:
    out: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            out.append(value)

    walk(sections)
    return out


def _check_complete(sections: dict) -> None:
    assert all(sections["hero"].values())
    assert 3 <= len(sections["benefits"]["items"]) <= 4
    assert all(i["title"] and i["text"] for i in sections["benefits"]["items"])
    assert 2 <= len(sections["faq"]["items"]) <= 4
    assert all(sections["form"].values())
    assert sections["testimonials"]["items"] == []  # the owner fills these; never invented
    for text in _texts(sections):
        assert "{" not in text and "}" not in text, text
        assert "  " not in text and not text.startswith((" ", ".")), text
        assert " ." not in text and ".." not in text, text


def test_two_businesses_get_different_copy_that_names_each_business():
    bakery, barber = draft_sections(BAKERY), draft_sections(BARBER)
    assert bakery != barber
    assert "Alice Bakes" in json.dumps(bakery) and "Charlie Cuts" not in json.dumps(bakery)
    assert "Charlie Cuts" in json.dumps(barber)
    assert "free pastry box" in json.dumps(bakery)  # the campaign's offer
    assert "20 % off your next cut" in json.dumps(barber)
    assert "Everything is baked the same morning." in json.dumps(bakery)  # the owner's key message
    for sections in (bakery, barber):
        _check_complete(sections)


def test_variations_and_campaigns_read_differently():
    drafts = [draft_sections(BAKERY, n) for n in range(3)]
    assert len({d["hero"]["headline"] for d in drafts}) == 3
    other_campaign = dataclasses.replace(BAKERY, campaign_id=8, campaign_name="Wedding cakes")
    assert draft_sections(other_campaign) != drafts[0]
    assert draft_sections(BAKERY, 0) == drafts[0]  # the same brief and variation: the same page


def test_german_when_asked():
    german = draft_sections(BAKERY, 0, "de")
    text = json.dumps(german, ensure_ascii=False)
    assert "Alice Bakes" in text
    assert any(word in text for word in (" Sie ", "Ihre", "Ihnen"))
    assert german["faq"]["title"] == "Fragen und Antworten"
    assert "What" not in german["hero"]["headline"]
    _check_complete(german)
    brand_german = draft_sections(dataclasses.replace(BAKERY, language="de"))
    assert brand_german["testimonials"]["title"] == "Das sagen unsere Kunden"


@pytest.mark.parametrize("kind", CAMPAIGN_TYPES)
@pytest.mark.parametrize("language", ["en", "de"])
def test_every_campaign_type_is_complete_even_with_a_bare_profile(kind, language):
    for brief in (
        dataclasses.replace(EMPTY, campaign_type=kind),
        dataclasses.replace(BARBER, campaign_type=kind),
    ):
        for variation in range(4):
            _check_complete(draft_sections(brief, variation, language))


def test_campaign_types_set_the_angle():
    referral = draft_sections(dataclasses.replace(BAKERY, campaign_type="referral"))
    retention = draft_sections(dataclasses.replace(BAKERY, campaign_type="client_retention"))
    assert referral["hero"]["cta"] != retention["hero"]["cta"]
    assert referral["form"]["title"] != retention["form"]["title"]


def test_the_sub_line_does_not_repeat_an_offer_the_headline_states():
    stated = 0
    for kind in CAMPAIGN_TYPES:
        brief = dataclasses.replace(EMPTY, campaign_type=kind, offer="a free pastry box")
        for variation in range(6):
            for language in ("en", "de"):
                hero = draft_sections(brief, variation, language)["hero"]
                if brief.offer.lower() in hero["headline"].lower():
                    stated += 1
                    assert brief.offer.lower() not in hero["subline"].lower(), hero
    assert stated > 0
