"""The AI layer with the real `openai` client against a local OpenAI-compatible server."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select, text

from tests.fakes.openai_server import FakeOpenAI, reply_json, reply_status, reply_text
from webapp.core.extensions import db
from webapp.models import ActivityLog, AiCall, AutopilotConfig
from webapp.services.ai import answers
from webapp.services.ai.answers import SchemaError
from webapp.services.ai.usage import cost_usd, monthly_usage

KEY = "sk-test-0123456789abcdef-secret"
SCHEMA = {
    "type": "object",
    "required": ["headline", "score"],
    "properties": {
        "headline": {"type": "string", "minLength": 3},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
    },
}
GOOD = {"headline": "Fresh bread daily", "score": 7}
BUILTIN = {"headline": "Built-in headline", "score": 5}


@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def openai_on(app, fake):
    app.config.update(
        OPENAI_API_KEY=KEY,
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_MODEL="gpt-4o-mini",
        OPENAI_TIMEOUT_SECONDS=5,
    )
    return fake


def ask(org_id, clock, **over):
    args = {
        "purpose": "strategy",
        "system": "You plan marketing.",
        "prompt": "A bakery in Leeds.",
        "schema": SCHEMA,
        "builtin": lambda: dict(BUILTIN),
        "now": clock(),
    }
    args.update(over)
    result = answers.complete_json(db.session, org_id, **args)
    db.session.commit()
    return result


def calls(org_id):
    return list(
        db.session.scalars(select(AiCall).where(AiCall.org_id == org_id).order_by(AiCall.id))
    )


def activity(org_id, type_):
    return list(
        db.session.scalars(
            select(ActivityLog).where(ActivityLog.org_id == org_id, ActivityLog.type == type_)
        )
    )


# --- without a key ------------------------------------------------------------------------


def test_it_uses_the_builtin_without_a_key(app, alice_org, clock):
    result = ask(alice_org.id, clock)
    assert result == answers.AiResult(BUILTIN, "builtin", answers.BUILTIN_MODEL, None)
    [row] = calls(alice_org.id)
    assert (row.provider, row.model, row.tokens_in, row.tokens_out, row.cost_usd, row.ok) == (
        "builtin",
        answers.BUILTIN_MODEL,
        0,
        0,
        Decimal("0"),
        True,
    )
    assert row.purpose == "strategy" and row.created_at == clock()
    assert not activity(alice_org.id, "ai.fallback")


def test_it_refuses_a_builtin_that_breaks_the_schema(app, alice_org, clock):
    with pytest.raises(SchemaError, match=r"\$.score should be at most 10"):
        ask(alice_org.id, clock, builtin=lambda: {"headline": "Too good", "score": 11})


# --- with OpenAI --------------------------------------------------------------------------


def test_it_asks_openai_once_for_a_valid_answer(app, alice_org, clock, openai_on):
    openai_on.script(reply_json(GOOD, tokens_in=1200, tokens_out=300))
    result = ask(alice_org.id, clock)
    assert result == answers.AiResult(GOOD, "openai", "gpt-4o-mini", None)

    [post] = openai_on.posts
    assert post.path == "/v1/chat/completions"
    assert post.headers["authorization"] == f"Bearer {KEY}"
    assert post.body["model"] == "gpt-4o-mini"
    assert post.body["response_format"] == {"type": "json_object"}
    system, user = post.body["messages"]
    assert (
        system["role"] == "system"
        and "JSON Schema" in system["content"]
        and '"score"' in system["content"]
    )
    assert user == {"role": "user", "content": "A bakery in Leeds."}

    [row] = calls(alice_org.id)
    assert (row.provider, row.model, row.tokens_in, row.tokens_out, row.ok, row.error) == (
        "openai",
        "gpt-4o-mini",
        1200,
        300,
        True,
        None,
    )
    # gpt-4o-mini: $0.15 in, $0.60 out per 1M tokens.
    assert row.cost_usd == Decimal("0.000360")
    assert row.latency_ms >= 0


def test_it_retries_an_invalid_answer_exactly_once(app, alice_org, clock, openai_on):
    openai_on.script(reply_text("Sure! Here is your plan: fresh bread."), reply_json(GOOD))
    result = ask(alice_org.id, clock)
    assert (result.provider, result.data, result.fallback_reason) == ("openai", GOOD, None)
    assert len(openai_on.posts) == 2
    retry = openai_on.posts[1].body["messages"]
    assert retry[2] == {"role": "assistant", "content": "Sure! Here is your plan: fresh bread."}
    assert "not valid" in retry[3]["content"]
    first, second = calls(alice_org.id)
    assert not first.ok and first.error.startswith("INVALID_OUTPUT: not JSON")
    assert first.tokens_in == 100 and first.cost_usd > 0  # a wasted answer still costs
    assert second.ok
    assert not activity(alice_org.id, "ai.fallback")


def test_it_falls_back_after_two_invalid_answers(app, alice_org, clock, openai_on):
    openai_on.script(reply_json({"headline": "ok", "score": 42}), reply_json({"headline": "Fine"}))
    result = ask(alice_org.id, clock)
    assert (result.provider, result.model, result.data) == (
        "builtin",
        answers.BUILTIN_MODEL,
        BUILTIN,
    )
    assert "did not match the expected format twice" in result.fallback_reason
    assert len(openai_on.posts) == 2  # one retry, no more

    rows = calls(alice_org.id)
    assert [(r.provider, r.ok) for r in rows] == [
        ("openai", False),
        ("openai", False),
        ("builtin", True),
    ]
    assert "$.score should be at most 10" in rows[0].error
    assert "$.score is missing" in rows[1].error
    [notice] = activity(alice_org.id, "ai.fallback")
    assert notice.actor_id is None
    assert notice.description.startswith(
        "The built-in planner wrote the strategy instead of OpenAI (gpt-4o-mini)"
    )
    assert notice.details["error_class"] == "INVALID_OUTPUT" and notice.details["attempts"] == 2
    assert (notice.entity_type, notice.entity_id) == ("ai_call", str(rows[1].id))


@pytest.mark.parametrize(
    ("reply", "error_class", "words"),
    [
        (
            reply_status(401, f"Incorrect API key provided: {KEY}."),
            "THIRD_PARTY_AUTH_FAILED",
            "refused the API key",
        ),
        (reply_status(403), "THIRD_PARTY_AUTH_FAILED", "refused the API key"),
        (reply_status(429), "RATE_LIMITED", "rate-limiting"),
        (reply_status(500), "TRANSIENT_NETWORK", "could not be reached"),
        (reply_status(503), "TRANSIENT_NETWORK", "could not be reached"),
        (
            reply_status(404, "The model `gpt-9` does not exist"),
            "CONFIGURATION_ERROR",
            "check OPENAI_MODEL",
        ),
        (reply_status(400), "CONFIGURATION_ERROR", "rejected the request"),
    ],
)
def test_it_falls_back_on_an_error_with_one_post(
    app, alice_org, clock, openai_on, caplog, reply, error_class, words
):
    caplog.set_level(logging.DEBUG)
    openai_on.script(reply)
    result = ask(alice_org.id, clock)
    assert result.provider == "builtin" and result.data == BUILTIN
    assert words in result.fallback_reason
    assert len(openai_on.posts) == 1  # max_retries=0: the client itself never retries

    failed, builtin = calls(alice_org.id)
    assert failed.error.startswith(f"{error_class}: ") and not failed.ok
    assert (failed.tokens_in, failed.cost_usd) == (0, Decimal("0"))
    assert builtin.provider == "builtin"
    [notice] = activity(alice_org.id, "ai.fallback")
    assert words in notice.description and notice.details["error_class"] == error_class

    everything = " ".join([failed.error, notice.description, str(notice.details), caplog.text])
    assert KEY not in everything


def test_it_falls_back_when_the_server_is_down(app, alice_org, clock, openai_on):
    openai_on.stop()  # the port is closed: connection refused
    result = ask(alice_org.id, clock)
    assert result.provider == "builtin" and "could not be reached" in result.fallback_reason
    assert calls(alice_org.id)[0].error.startswith("TRANSIENT_NETWORK: ")


def test_it_falls_back_on_a_timeout(app, alice_org, clock, openai_on):
    openai_on.script(replace(reply_json(GOOD), delay=1.5))
    app.config["OPENAI_TIMEOUT_SECONDS"] = 0.3
    result = ask(alice_org.id, clock)
    assert result.provider == "builtin"
    failed = calls(alice_org.id)[0]
    assert failed.error.startswith("TRANSIENT_NETWORK: ") and failed.latency_ms < 1400
    assert len(openai_on.posts) == 1


def test_it_takes_settings_from_the_config_argument(app, alice_org, clock, fake):
    fake.script(reply_json(GOOD))
    config = {
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_MODEL": "gpt-4.1-mini",
    }
    result = ask(alice_org.id, clock, config=config)
    assert (result.provider, result.model) == ("openai", "gpt-4.1-mini")
    assert fake.posts[0].body["model"] == "gpt-4.1-mini"


# --- the monthly AI budget ----------------------------------------------------------------


def set_budget(org, amount):
    db.session.add(
        AutopilotConfig(
            org_id=org.id,
            ai_monthly_budget=Decimal(amount),
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
            updated_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
    )
    db.session.commit()


def test_it_switches_to_builtin_when_the_budget_is_spent(app, alice_org, clock, openai_on):
    set_budget(alice_org, "0.20")
    openai_on.default = reply_json(GOOD, tokens_in=1_000_000, tokens_out=0)  # $0.15 a call
    assert ask(alice_org.id, clock).provider == "openai"  # spent 0.00 < 0.20
    assert ask(alice_org.id, clock).provider == "openai"  # spent 0.15 < 0.20
    third = ask(alice_org.id, clock)  # spent 0.30: over
    assert (
        third.provider == "builtin"
        and "AI budget of $0.20 is spent ($0.30 used)" in third.fallback_reason
    )
    assert ask(alice_org.id, clock).provider == "builtin"
    assert len(openai_on.posts) == 2

    [notice] = activity(alice_org.id, "ai.budget_exhausted")  # said once, not per call
    assert "This month's AI budget ($0.20) is spent: $0.30 used" in notice.description
    assert "raises the budget on the Autopilot page" in notice.description
    assert not activity(alice_org.id, "ai.fallback")

    usage = monthly_usage(db.session, alice_org.id, clock())
    assert (usage.calls, usage.tokens_in, usage.cost_usd, usage.exhausted) == (
        4,
        2_000_000,
        Decimal("0.3"),
        True,
    )

    # A new month (Alice's zone is London) brings the budget back, and a new notice when spent.
    clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    assert ask(alice_org.id, clock).provider == "openai"
    assert monthly_usage(db.session, alice_org.id, clock()).cost_usd == Decimal("0.15")


def test_it_counts_the_month_in_the_workspace_zone(app, alice_org, clock):
    alice_org.timezone = "America/New_York"
    db.session.add(
        AiCall(
            org_id=alice_org.id,
            purpose="strategy",
            provider="openai",
            model="gpt-4o",
            cost_usd=Decimal("1.5"),
            created_at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
        )
    )
    db.session.commit()
    # 03:00 UTC on 1 December is still November in New York.
    november = monthly_usage(db.session, alice_org.id, datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    assert november.cost_usd == Decimal("1.5") and november.budget_usd == Decimal("10.00")
    december = monthly_usage(db.session, alice_org.id, datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    assert december.calls == 0


def test_it_keeps_no_lock_while_waiting_for_openai(app, alice_org, clock, openai_on):
    """Another writer can commit while the call is in flight, and the recording still works."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    org_id = alice_org.id
    wrote = []

    def write_meanwhile() -> None:
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA busy_timeout = 300")
                conn.execute(
                    text("UPDATE organizations SET name = 'Alice Bakes Ltd' WHERE id = :id"),
                    {"id": org_id},
                )
            wrote.append(True)
        except Exception as exc:  # reported below
            wrote.append(exc)

    openai_on.script(replace(reply_json(GOOD), before=write_meanwhile))
    db.session.commit()  # the caller ends its transaction before asking, as the wizard does
    result = ask(org_id, clock)
    engine.dispose()
    assert wrote == [True]
    assert result.provider == "openai" and calls(alice_org.id)[0].ok


# --- pieces -------------------------------------------------------------------------------


def test_it_prices_models_by_their_longest_prefix():
    assert cost_usd("gpt-4o-mini-2024-07-18", 1_000_000, 1_000_000) == Decimal("0.75")
    assert cost_usd("gpt-4o", 1_000_000, 0) == Decimal("2.5")
    assert cost_usd("llama3.1:8b", 1_000_000, 0) == Decimal("2.5")  # unknown: priced like gpt-4o
    assert cost_usd("gpt-4o-mini", 1, 0) == Decimal("0.000000")
