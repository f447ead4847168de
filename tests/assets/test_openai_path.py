"""The OpenAI path against a local server speaking the chat, images and speech APIs: used
when it answers well, the built-in writer (said in the activity feed) when the answer is
malformed or breaks a limit, and when the monthly budget runs out mid-batch."""

from __future__ import annotations

import io
import json
from decimal import Decimal

from PIL import Image
from sqlalchemy import select

from tests.assets.conftest import run_jobs
from tests.assets.test_generation import make
from tests.fakes.openai_server import reply_audio, reply_image, reply_json, reply_text
from webapp.core.extensions import db
from webapp.models import ActivityLog, AiCall, Asset, AutopilotConfig, Generation
from webapp.services import assets
from webapp.services.assets.voice import fit_to

POST = {
    "text": "Fresh sourdough at Alice Bakes. Order yours today!",
    "hashtags": ["#Leeds"],
    "image_suggestion": "Loaves on a rack",
}


def activity(org_id, type_):
    return db.session.scalars(
        select(ActivityLog).where(ActivityLog.org_id == org_id, ActivityLog.type == type_)
    ).all()


def test_openai_answers_are_used_and_priced(app, clock, bakery, openai_on):
    org, camp = bakery
    openai_on.script(*(reply_json({**POST, "text": f"{POST['text']} ({n})"}) for n in range(3)))
    asset_id = make(org, camp, "social_post", {"platform": "x"}, clock)
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    assert [v["text"][-3:] for v in assets.variations(asset)] == ["(0)", "(1)", "(2)"]
    assert assets.variations(asset)[0]["platform"] == "x"
    generation = db.session.scalars(select(Generation).where(Generation.asset_id == asset_id)).one()
    assert generation.provider == "openai" and generation.model == "gpt-4o-mini"
    assert (generation.tokens_in, generation.tokens_out) == (300, 150)
    assert generation.cost_usd == Decimal("0.000135")
    bodies = [r.body for r in openai_on.posts]
    assert all("Alice Bakes" in b["messages"][1]["content"] for b in bodies)


def test_a_malformed_answer_falls_back_and_says_so(app, clock, bakery, openai_on):
    org, camp = bakery
    openai_on.script(
        reply_text("not json at all"), reply_text("{still not"), reply_json(POST), reply_json(POST)
    )
    asset_id = make(org, camp, "social_post", {"platform": "linkedin"}, clock)
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    first = assets.variations(asset)[0]
    assert "Alice Bakes" in first["text"] and first["text"] != POST["text"]  # the built-in writer's
    assert (
        db.session.scalars(select(Generation).where(Generation.asset_id == asset_id))
        .one()
        .fallback_reason
        or ""
    ).startswith("OpenAI's answer did not match")
    assert activity(org.id, "ai.fallback")


def test_an_answer_over_the_limit_is_not_used(app, clock, bakery, openai_on):
    org, camp = bakery
    too_long = {**POST, "text": "日本語 " * 80}  # 400 weighted characters: over X's 280
    openai_on.script(*(reply_json(too_long) for _ in range(3)))
    asset_id = make(org, camp, "social_post", {"platform": "x"}, clock)
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    assert all(v["text"] != too_long["text"] for v in assets.variations(asset))
    assert assets.problems_of("social_post", assets.current(asset)) == []
    said = activity(org.id, "ai.fallback")
    assert said and "broke the limits" in said[0].description


def test_budget_running_out_mid_batch_falls_back_for_the_rest(app, clock, bakery, openai_on):
    org, camp = bakery
    db.session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == org.id)
    ).one().ai_monthly_budget = Decimal("0.01")
    db.session.commit()
    big = reply_json(POST, tokens_in=20_000, tokens_out=20_000)  # $0.015 with gpt-4o-mini
    openai_on.script(big, big, big)
    asset_id = make(org, camp, "social_post", {"platform": "facebook"}, clock)
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    providers = asset.content["providers"]
    assert providers == ["openai", "builtin", "builtin"]
    assert len(openai_on.posts) == 1
    assert activity(org.id, "ai.budget_exhausted")


def _png(size=(1024, 1024)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_openai_picture_becomes_the_banner_background_at_the_requested_size(
    app, clock, bakery, openai_on
):
    org, camp = bakery
    lines = {
        "headline": "Fresh bread daily",
        "subline": "Baked overnight in Leeds",
        "cta": "Order now",
    }
    openai_on.script(*(reply_json(lines) for _ in range(3)), reply_image(_png((1536, 1024))))
    asset_id = make(org, camp, "image", {"size": "1200x628"}, clock)
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    picture = Image.open(io.BytesIO(asset.file))
    assert picture.size == (1200, 628)
    assert openai_on.posts[-1].path.endswith("/images/generations")
    image_call = db.session.scalars(select(AiCall).where(AiCall.purpose == "asset_picture")).one()
    assert image_call.ok and image_call.cost_usd == Decimal("0.042000")


def test_openai_speech_is_the_voice_ad_and_a_failed_one_falls_back_to_espeak(
    app, clock, bakery, openai_on
):
    org, camp = bakery
    script = {"script": "Alice Bakes: sourdough baked overnight in Leeds. Order yours today."}
    wav = fit_to(_silence(), 15)
    openai_on.script(*(reply_json(script) for _ in range(3)), reply_audio(wav))
    asset_id = make(org, camp, "voice_ad", {"length": 15}, clock)
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    assert asset.file == wav and asset.file_mime == "audio/wav"
    assert json.loads(json.dumps(openai_on.posts[-1].body))["input"] == script["script"]
    openai_on.script(reply_text("nope"))  # the speech answer is not a WAV
    assets.choose(db.session, asset, 1, actor_id=None, now=clock())
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    assert asset.file != wav and asset.file.startswith(b"RIFF")  # espeak-ng's
    assert any("voice failed" in row.description for row in activity(org.id, "ai.fallback"))


def _silence() -> bytes:
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(b"\x00\x00" * 22050)
    return out.getvalue()
