"""The strategy planner: the built-in planner's mixes, normalising, and the AI path."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import select

from tests.fakes.openai_server import FakeOpenAI, reply_json
from webapp.core.extensions import db
from webapp.integrations.openai import validate
from webapp.models import CHANNELS, AiCall
from webapp.services.autopilot.builtin_planner import OWNED, PAID, builtin_strategy, find_category
from webapp.services.autopilot.plan_inputs import GOALS, PlanInputs
from webapp.services.autopilot.planner import plan_strategy
from webapp.services.autopilot.strategy import (
    STRATEGY_SCHEMA,
    normalise_percents,
    normalise_strategy,
)


def inputs(**over) -> PlanInputs:
    base = {
        "business": "A family bakery in Leeds making sourdough and celebration cakes.",
        "who": "Busy families",
        "where": "Leeds",
        "market": "b2c",
        "interests": ("baking", "local food"),
        "monthly_budget": Decimal("1200"),
        "primary_goal": "sales",
        "monthly_leads": None,
    }
    base.update(over)
    return PlanInputs(**base)


def shares(strategy: dict) -> dict[str, int]:
    return {c["channel"]: c["percent"] for c in strategy["channels"]}


def share_of(strategy: dict, channels) -> int:
    return sum(p for ch, p in shares(strategy).items() if ch in channels)


def assert_well_formed(strategy: dict) -> None:
    validate(strategy, STRATEGY_SCHEMA)
    percents = [c["percent"] for c in strategy["channels"]]
    assert sum(percents) == 100
    assert all(isinstance(p, int) and p >= 1 for p in percents)
    assert len({c["channel"] for c in strategy["channels"]}) == len(percents)
    assert all(c["channel"] in CHANNELS and c["rationale"] for c in strategy["channels"])
    assert len(strategy["messaging"]["key_messages"]) == 3
    assert strategy["planner"] == "builtin"


DESCRIPTIONS = [
    "A family bakery in Leeds making sourdough and celebration cakes.",
    "Hair salon and barber for curly hair.",
    "Dental clinic with two dentists and a hygienist.",
    "Online shop selling handmade jewellery.",
    "We build scheduling software for dental practices.",
    "Accounting firm for small businesses.",
    "Emergency plumber and heating engineer.",
    "Yoga and pilates studio.",
    "We do things.",
]


def test_it_always_sums_to_100_over_many_inputs():
    budgets = ["10", "99", "299.99", "300", "999", "1000", "4999", "5000", "250000"]
    checked = 0
    for description, market, goal, budget, where in itertools.product(
        DESCRIPTIONS, ("b2b", "b2c"), GOALS, budgets, ("Leeds", "nationwide", "")
    ):
        strategy = builtin_strategy(inputs(business=description, market=market, primary_goal=goal,
                                           monthly_budget=Decimal(budget), where=where))  # fmt: skip
        assert_well_formed(strategy)
        checked += 1
    assert checked == 9 * 2 * 4 * 9 * 3


def test_it_sums_to_100_for_random_inputs():
    rng = random.Random(20261123)
    words = [
        "cafe",
        "salon",
        "clinic",
        "shop",
        "software",
        "law",
        "plumber",
        "gym",
        "x",
        "the",
        "local",
    ]
    for _ in range(500):
        strategy = builtin_strategy(inputs(
            business=" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))),
            who=rng.choice(["", "Teachers", "CTOs"]),
            where=rng.choice(["", "Leeds", "across the UK", "within 5 miles"]),
            market=rng.choice(["b2b", "b2c"]),
            interests=tuple(rng.sample(["a", "b", "c"], rng.randint(0, 3))),
            monthly_budget=Decimal(rng.randint(10, 100_000)),
            primary_goal=rng.choice(GOALS),
            monthly_leads=rng.choice([None, 1, 50, 10_000]),
        ))  # fmt: skip
        assert_well_formed(strategy)


def test_it_is_deterministic():
    assert builtin_strategy(inputs()) == builtin_strategy(inputs())


def test_it_leans_b2b_to_email_search_content_and_referrals():
    b2b = builtin_strategy(inputs(business="Accounting firm for small businesses.", market="b2b",
                                  who="Small business owners", where="Manchester", primary_goal="leads"))  # fmt: skip
    b2c = builtin_strategy(inputs(business="Accounting firm for small businesses.", market="b2c",
                                  who="Families", where="Manchester", primary_goal="leads"))  # fmt: skip
    assert {"email", "google_ads", "content", "referral"} <= set(shares(b2b))
    assert "sms" not in shares(b2b) and "whatsapp" not in shares(b2b)
    owned_b2b = share_of(b2b, ("email", "content", "referral"))
    assert owned_b2b > share_of(b2c, ("email", "content", "referral"))
    assert share_of(b2c, ("meta_ads", "sms", "whatsapp")) > share_of(
        b2b, ("meta_ads", "sms", "whatsapp")
    )


def test_it_leans_local_b2c_to_social_search_and_messages():
    local = builtin_strategy(inputs(business="A neighbourhood restaurant and pizzeria.", where="Leeds",
                                    primary_goal="bookings", monthly_budget=Decimal("1500")))  # fmt: skip
    assert {"meta_ads", "google_ads", "sms", "whatsapp"} <= set(shares(local))
    national = builtin_strategy(inputs(business="A neighbourhood restaurant and pizzeria.",
                                       where="nationwide delivery", primary_goal="bookings",
                                       monthly_budget=Decimal("1500")))  # fmt: skip
    assert share_of(local, ("sms", "whatsapp")) > share_of(national, ("sms", "whatsapp"))


def test_it_favours_owned_channels_on_a_tiny_budget():
    for description in DESCRIPTIONS:
        tiny = builtin_strategy(inputs(business=description, monthly_budget=Decimal("150")))
        big = builtin_strategy(inputs(business=description, monthly_budget=Decimal("3000")))
        assert share_of(tiny, OWNED) >= 60, (description, shares(tiny))
        assert share_of(tiny, PAID) < share_of(big, PAID), description
        assert len(tiny["channels"]) == 3
        assert "under $300 a month" in " ".join(c["rationale"] for c in tiny["channels"])


def test_it_spreads_a_bigger_budget_over_more_channels():
    counts = [
        len(builtin_strategy(inputs(monthly_budget=Decimal(b)))["channels"])
        for b in ("100", "500", "2000", "9000")
    ]
    assert counts == [3, 4, 5, 6]


def test_it_reads_the_kind_of_business():
    assert find_category("Our salon does nails and lashes.").name == "salons and beauty businesses"
    assert find_category("A dental clinic").name == "clinics and practices"
    assert find_category("Scheduling software for dental practices").name == "software businesses"
    assert find_category("We do things.") is None
    clinic = builtin_strategy(inputs(business="A physiotherapy clinic.", primary_goal="bookings"))
    shop = builtin_strategy(
        inputs(business="An online shop selling gifts.", primary_goal="bookings")
    )
    assert shares(clinic)["google_ads"] > shares(shop).get("google_ads", 0)
    assert "seo" in shares(clinic)
    assert clinic["messaging"]["tone"] == "Reassuring and professional"
    assert shop["messaging"]["tone"] == "Friendly and upbeat"


def test_it_writes_messaging_from_the_inputs():
    strategy = builtin_strategy(inputs(primary_goal="bookings"))
    messaging = strategy["messaging"]
    assert messaging["value_proposition"] == (
        "For busy families in Leeds: a family bakery in Leeds making sourdough and celebration cakes."
    )
    assert messaging["key_messages"] == [
        "Book your slot online in under a minute.",
        "Made for busy families who care about baking and local food.",
        "Local to Leeds, and proud of it.",
    ]
    b2b = builtin_strategy(inputs(market="b2b", where="nationwide", who="IT managers",
                                  business="I run a software consultancy."))  # fmt: skip
    assert b2b["messaging"]["value_proposition"].startswith("For IT managers in nationwide: I run")
    assert b2b["messaging"]["key_messages"][2].startswith("Trusted by businesses like yours")


def test_it_normalises_percents_to_whole_numbers_summing_to_100():
    assert normalise_percents([1, 1, 1]) == [34, 33, 33]
    assert normalise_percents([Fraction(1, 3)] * 6) == [17, 17, 17, 17, 16, 16]
    assert normalise_percents([100, 1]) == [99, 1]  # nobody rounded down to 0%
    assert normalise_percents([1000, 1, 1]) == [98, 1, 1]
    assert normalise_percents([50, 30, 20]) == [50, 30, 20]
    for weights in ([0.1, 0.2, 0.7], [7, 7, 7, 7, 7, 7, 7], [33.3, 33.3, 33.3], [5]):
        assert sum(normalise_percents(weights)) == 100
    with pytest.raises(ValueError):
        normalise_percents([0, 0])


def test_it_tidies_an_ai_strategy():
    raw = {
        "channels": [
            {"channel": "email", "percent": 33.3, "rationale": " Cheap. "},
            {"channel": "seo", "percent": 33.3, "rationale": "Free visits."},
            {"channel": "email", "percent": 10, "rationale": "Again."},
            {"channel": "meta_ads", "percent": 40, "rationale": "Reach."},
        ],
        "messaging": {
            "value_proposition": " Fresh bread. ",
            "tone": "Warm",
            "key_messages": ["a", "b", "c", "d"],
        },
    }
    tidy = normalise_strategy(raw)
    assert tidy["channels"] == [
        {"channel": "email", "percent": 37, "rationale": "Cheap."},
        {"channel": "meta_ads", "percent": 34, "rationale": "Reach."},
        {"channel": "seo", "percent": 29, "rationale": "Free visits."},
    ]
    assert tidy["messaging"] == {
        "value_proposition": "Fresh bread.",
        "tone": "Warm",
        "key_messages": ["a", "b", "c"],
    }


def test_it_plans_with_the_builtin_planner_without_a_key(app, alice_org, clock):
    strategy = plan_strategy(db.session, alice_org.id, inputs(), now=clock())
    assert strategy["planner"] == "builtin" and strategy["model"] == "builtin-planner-1"
    assert "fallback_reason" not in strategy
    assert sum(c["percent"] for c in strategy["channels"]) == 100
    [call] = db.session.scalars(select(AiCall))
    assert (call.purpose, call.provider) == ("strategy", "builtin")


def test_it_plans_with_openai_in_the_same_shape(app, alice_org, clock):
    fake = FakeOpenAI().start()
    try:
        fake.script(reply_json({
            "channels": [
                {"channel": "meta_ads", "percent": 45.5, "rationale": "Instagram loves cakes."},
                {"channel": "email", "percent": 30.2, "rationale": "Regulars come back."},
                {"channel": "whatsapp", "percent": 30.1, "rationale": "Orders by chat."},
            ],
            "messaging": {"value_proposition": "Real bread, baked at dawn in Leeds.", "tone": "Warm",
                          "key_messages": ["Order by noon", "Fresh daily", "Local", "Extra"]},
        }))  # fmt: skip
        config = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.base_url}
        strategy = plan_strategy(db.session, alice_org.id, inputs(), now=clock(), config=config)
    finally:
        fake.stop()
    assert (strategy["planner"], strategy["model"]) == ("openai", "gpt-4o-mini")
    assert [(c["channel"], c["percent"]) for c in strategy["channels"]] == [
        ("meta_ads", 43), ("email", 29), ("whatsapp", 28)
    ]  # fmt: skip
    assert strategy["messaging"]["key_messages"] == ["Order by noon", "Fresh daily", "Local"]
    body = fake.posts[0].body
    assert '"monthly_budget": "1200"' in body["messages"][1]["content"]
    assert "whatsapp" in body["messages"][0]["content"]  # the allowed channels are named


def test_it_falls_back_to_the_builtin_when_openai_invents_a_channel(app, alice_org, clock):
    fake = FakeOpenAI().start()
    bad = {"channels": [{"channel": "tiktok", "percent": 100, "rationale": "Viral."}],
           "messaging": {"value_proposition": "x", "tone": "y", "key_messages": ["a", "b", "c"]}}  # fmt: skip
    try:
        fake.script(reply_json(bad), reply_json(bad))
        config = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.base_url}
        strategy = plan_strategy(db.session, alice_org.id, inputs(), now=clock(), config=config)
    finally:
        fake.stop()
    assert strategy["planner"] == "builtin"
    assert "did not match the expected format twice" in strategy["fallback_reason"]
    assert strategy["channels"] == builtin_strategy(inputs())["channels"]


def test_the_schema_sent_is_the_answer_model(app):
    from webapp.core.json_schema import ai_schema
    from webapp.services.autopilot.strategy import StrategyAnswer

    assert STRATEGY_SCHEMA == ai_schema(StrategyAnswer)
    assert STRATEGY_SCHEMA["properties"]["channels"]["items"]["required"] == [
        "channel",
        "percent",
        "rationale",
    ]


def test_it_falls_back_to_the_builtin_planner_when_an_answer_breaks_the_model(
    app, alice_org, clock, monkeypatch
):
    from webapp.services.ai.answers import AiResult
    from webapp.services.autopilot import planner

    broken = {"channels": [{"channel": "email", "percent": 100, "rationale": " "}], "messaging": {}}
    monkeypatch.setattr(
        planner, "complete_json", lambda *a, **k: AiResult(broken, "openai", "gpt-4o-mini", None)
    )
    strategy = plan_strategy(db.session, alice_org.id, inputs(), now=clock())
    assert strategy["planner"] == "builtin" and strategy["model"] == "builtin-planner-1"
    assert strategy["fallback_reason"].startswith("the openai strategy did not fit")
    assert_well_formed(strategy)
