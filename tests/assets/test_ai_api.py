"""/api/v1/ai: generate with a library template, variations, optimize for a goal, the
prompt library; field errors as 422, another workspace's templates never visible, each
call counted against the AI budget with its cost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import START
from tests.fakes.openai_server import reply_json, reply_text
from webapp.core.extensions import db
from webapp.models import AiCall, Generation, Membership, Organization
from webapp.services.accounts import api_keys
from webapp.services.assets.limits import x_length


def key_for(user) -> dict:
    m = db.session.scalars(select(Membership).where(Membership.user_id == user.id)).first()
    _row, secret = api_keys.create_api_key(db.session, m, "Tests", now=START)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def alice_key(alice, bakery):
    return key_for(alice)


def post(client, path, headers, body):
    return client.post(f"/api/v1/ai/{path}", json=body, headers=headers)


def test_generate_with_a_template_offline(client, alice_key):
    body = {
        "template": "social-post",
        "variables": {
            "business_name": "Alice Bakes",
            "product": "sourdough bread",
            "audience": "families",
            "location": "Leeds",
            "offer": "free coffee with any loaf",
            "platform": "x",
        },
    }
    answer = post(client, "generate", alice_key, body)
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    assert data["provider"] == "builtin" and data["cost"] == 0 and data["tokensUsed"] == 0
    assert "Alice Bakes" in data["content"] and x_length(data["content"]) <= 280
    assert (
        db.session.scalars(select(Generation).where(Generation.action == "generate")).one().provider
        == "builtin"
    )


def test_subject_lines_outline_and_product_announcement(client, alice_key):
    lines = post(
        client,
        "generate",
        alice_key,
        {
            "template": "email-subject-lines",
            "variables": {
                "email_purpose": "Christmas orders",
                "audience": "families",
                "tone": "warm",
                "goal": "orders",
                "business_name": "Alice Bakes",
            },
        },
    ).get_json()
    assert len(lines["suggestions"]) == 5 and all(len(s) <= 60 for s in lines["suggestions"])
    outline = post(
        client,
        "generate",
        alice_key,
        {
            "template": "blog-outline",
            "variables": {
                "topic": "Sourdough at home",
                "keywords": "sourdough, starter",
                "word_count": 1200,
                "audience_level": "beginner",
                "business_name": "Alice Bakes",
            },
        },
    ).get_json()
    assert (
        outline["content"].startswith("# ")
        and "## 1." in outline["content"]
        and "Sourdough at home" in outline["content"]
    )
    announce = post(
        client,
        "generate",
        alice_key,
        {
            "template": "product-announcement",
            "variables": {
                "product_name": "Rye loaf",
                "price": "£4",
                "features": "slow-fermented",
                "audience": "families",
                "tone": "warm",
                "platform": "instagram",
                "max_length": 400,
                "business_name": "Alice Bakes",
            },
        },
    ).get_json()
    assert "Alice Bakes" in announce["content"] and len(announce["content"]) <= 400


def test_variations_differ(client, alice_key):
    body = {
        "template": "voice-ad",
        "variables": {
            "business_name": "Alice Bakes",
            "product": "sourdough",
            "location": "Leeds",
            "offer": "10 % off",
            "length": 15,
        },
        "count": 3,
    }
    data = post(client, "variations", alice_key, body).get_json()
    assert len({v["content"] for v in data["variations"]}) == 3


@pytest.mark.parametrize("goal", ["shorter", "more_urgent", "friendlier", "sms"])
def test_optimize_for_each_goal(client, alice_key, goal):
    text = "We really bake very fresh sourdough every single morning in Leeds. Our starter is ten years old. Every loaf is shaped by hand. Order yours today at https://alice.example 🍞 #Leeds"
    data = post(
        client, "optimize", alice_key, {"content": text, "goal": goal, "language": "en"}
    ).get_json()
    out = data["content"]
    assert out != text and data["provider"] == "builtin"
    if goal == "shorter":
        assert len(out) < len(text) and "really" not in out
    if goal == "sms":
        assert (
            len(out) <= 160
            and "🍞" not in out
            and "#Leeds" not in out
            and "https://alice.example" in out
        )
    if goal == "more_urgent":
        assert out.startswith("Only a few days left")


def test_german_optimize_is_german(client, alice_key):
    data = post(
        client,
        "optimize",
        alice_key,
        {"content": "Frisches Brot aus Köln.", "goal": "friendlier", "language": "de"},
    ).get_json()
    assert data["content"].startswith("Hallo!") and "Wir freuen uns" in data["content"]


def test_input_errors_are_422_naming_the_field(client, alice_key):
    cases = [
        ({"template": "social-post", "variables": {"business_name": "A"}}, "variables.platform"),
        (
            {
                "template": "social-post",
                "variables": {
                    "business_name": "A",
                    "product": "p",
                    "audience": "a",
                    "location": "l",
                    "offer": "o",
                    "platform": "x",
                    "colour": "red",
                },
            },
            "variables.colour",
        ),
        ({"template": "no-such-template"}, "template"),
        ({}, "template"),
        ({"prompt": "Write me a poem"}, "prompt"),  # offline: a custom prompt needs OpenAI
    ]
    for body, field in cases:
        answer = post(client, "generate", alice_key, body)
        assert answer.status_code == 422, (body, answer.get_json())
        assert field in answer.get_json()["error"]["fields"], answer.get_json()
    assert (
        post(client, "optimize", alice_key, {"content": "x", "goal": "louder"}).status_code == 422
    )
    assert client.post("/api/v1/ai/generate", data="nope", headers=alice_key).status_code == 400
    assert client.post("/api/v1/ai/generate", json={"template": "x"}).status_code == 401


def test_prompt_library_and_workspace_templates(client, alice_key, charlie, salon):
    names = [
        p["name"] for p in client.get("/api/v1/ai/prompts", headers=alice_key).get_json()["prompts"]
    ]
    assert {
        "product-announcement",
        "email-subject-lines",
        "blog-outline",
        "social-post",
        "voice-ad",
        "image",
    } <= set(names)
    bad = post(
        client,
        "prompts",
        alice_key,
        {"name": "promo", "body": "Write about {{product}} for {{city}}", "variables": ["product"]},
    )
    assert bad.status_code == 422 and "body" in bad.get_json()["error"]["fields"]
    made = post(
        client,
        "prompts",
        alice_key,
        {
            "name": "promo",
            "body": "Write about {{product}} in {{city}}",
            "variables": ["product", "city"],
            "category": "social_post",
            "temperature": 0.9,
            "max_tokens": 300,
        },
    )
    assert made.status_code == 201 and made.get_json()["variables"] == ["product", "city"]
    assert (
        post(client, "prompts", alice_key, {"name": "promo", "body": "x"}).status_code == 422
    )  # taken
    used = post(
        client,
        "generate",
        alice_key,
        {"template": "promo", "variables": {"product": "rye bread", "city": "Leeds"}},
    )
    assert used.status_code == 200 and used.get_json()["template"] == "promo"
    other = key_for(charlie)
    assert "promo" not in [
        p["name"] for p in client.get("/api/v1/ai/prompts", headers=other).get_json()["prompts"]
    ]
    assert (
        post(
            client,
            "generate",
            other,
            {"template": "promo", "variables": {"product": "x", "city": "y"}},
        ).status_code
        == 422
    )


def test_substitution_never_runs_values_as_templates(client, alice_key):
    post(
        client,
        "prompts",
        alice_key,
        {"name": "echo", "body": "Say {{what}}", "variables": ["what"], "category": "custom"},
    )
    from webapp.services.assets import prompts

    template = prompts.find_template(
        db.session,
        db.session.scalars(select(Organization).where(Organization.name == "Alice Bakes")).one().id,
        "echo",
    )
    assert (
        prompts.render(template, {"what": "{{what}} {{ config }} {% for x in y %}"})
        == "Say {{what}} {{ config }} {% for x in y %}"
    )


def test_openai_answers_with_cost_and_template_tuning(client, alice_key, openai_on):
    openai_on.script(
        reply_json(
            {"content": "Rye loaves, baked at dawn, at Alice Bakes.", "suggestions": []},
            tokens_in=1000,
            tokens_out=500,
        )
    )
    body = {
        "template": "image",
        "variables": {"business_name": "Alice Bakes", "product": "rye", "offer": "free coffee"},
    }
    data = post(client, "generate", alice_key, body).get_json()
    assert data["provider"] == "openai" and data["tokensUsed"] == 1500
    assert data["cost"] == pytest.approx(float(Decimal("0.00045")))
    sent = openai_on.posts[-1].body
    assert sent["temperature"] == 0.7 and sent["max_completion_tokens"] == 200


def test_openai_custom_prompt_and_malformed_answer(client, alice_key, openai_on):
    openai_on.script(reply_json({"content": "A poem about bread."}))
    assert (
        post(client, "generate", alice_key, {"prompt": "Write a poem about bread"}).get_json()[
            "content"
        ]
        == "A poem about bread."
    )
    openai_on.script(reply_text("nope"), reply_text("still nope"))
    failed = post(client, "generate", alice_key, {"prompt": "Write a poem about bread"})
    assert failed.status_code == 503
    openai_on.script(reply_text("nope"), reply_text("still nope"))
    body = {
        "template": "social-post",
        "variables": {
            "business_name": "Alice Bakes",
            "product": "bread",
            "audience": "families",
            "location": "Leeds",
            "offer": "10 % off",
            "platform": "linkedin",
        },
    }
    fallback = post(client, "generate", alice_key, body).get_json()
    assert fallback["provider"] == "builtin" and fallback["fallbackReason"]
    assert len(db.session.scalars(select(AiCall).where(AiCall.provider == "openai")).all()) == 5


def test_openai_sms_over_160_falls_back(client, alice_key, openai_on):
    openai_on.script(reply_json({"content": "x " * 120}))
    data = post(
        client,
        "optimize",
        alice_key,
        {"content": "Fresh bread in Leeds. Order today.", "goal": "sms"},
    ).get_json()
    assert (
        data["provider"] == "builtin"
        and len(data["content"]) <= 160
        and "160" in data["fallbackReason"]
    )
