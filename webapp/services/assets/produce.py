"""One variation of an asset, by OpenAI when the workspace has it and can afford it, else
by the built-in writer; every call is an AiCall row (the one AI ledger, which the monthly
budget reads) and the sums of a variation's calls go on its Generation.

Text goes through `complete_json` (services/ai). An answer that fits the schema but breaks
a platform limit (X's weighted 280, a 30-character headline, scenes that do not add up)
is not used: the built-in writer's variation is, and the activity log says why. Pictures
and speech are asked of OpenAI's images and speech APIs under the same budget check; a
failure falls back to Pillow and espeak-ng, said in the activity log too.

Call with no transaction open in `session` (see complete_json): no lock or snapshot spans
a network call."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.integrations import openai_media
from webapp.models import AiCall
from webapp.services.activity import log_activity
from webapp.services.ai import (
    BUILTIN_MODEL,
    ai_settings_for,
    complete_json,
    monthly_usage,
    notice_budget,
    record_call,
    spent_reason,
)
from webapp.services.assets.limits import problems_of
from webapp.services.assets.schemas import SYSTEM, prompt_for, schema_for
from webapp.services.assets.writer import make_file, write_text
from webapp.services.marketing import Brief

IMAGE_PRICE = Decimal("0.042")  # USD per picture (gpt-image-1, medium quality)
SPEECH_PRICE_PER_1M_CHARS = Decimal("15")
OFFLINE_MODELS = {"voice_ad": "espeak-ng", "image": "pillow"}
SHAPES = {"1200x628": "landscape", "1080x1080": "square", "1080x1920": "portrait"}


@dataclass
class Produced:
    content: dict
    provider: str = "builtin"
    model: str = BUILTIN_MODEL
    fallback_reason: str | None = None
    file: bytes | None = None
    mime: str | None = None
    call_ids: list[int] = field(default_factory=list)


def _watermark(session: Session, org_id: int) -> int:
    return session.scalar(select(func.max(AiCall.id)).where(AiCall.org_id == org_id)) or 0


def _new_calls(session: Session, org_id: int, after: int) -> list[int]:
    return list(
        session.scalars(select(AiCall.id).where(AiCall.org_id == org_id, AiCall.id > after))
    )


def _shape(asset_type: str, data: dict, builtin: dict, options: dict) -> dict:
    """OpenAI's answer in the shape the writer's variations have."""
    if asset_type == "social_post":
        return {**data, "platform": builtin["platform"]}
    if asset_type == "ad_creative":
        return {**builtin, **data}
    if asset_type == "video_script":
        start, scenes = 0, []
        for scene in data["scenes"]:
            seconds = int(scene["seconds"])
            scenes.append({**scene, "start": start, "end": start + seconds, "seconds": seconds})
            start += seconds
        return {"length": builtin["length"], "scenes": scenes, "language": builtin["language"]}
    if asset_type == "voice_ad":
        return {**builtin, "script": data["script"], "words": len(data["script"].split())}
    if asset_type == "image":
        return {**builtin, **data}
    return {**data, "language": builtin["language"]}


def produce_text(
    session: Session,
    org_id: int,
    brief: Brief,
    asset_type: str,
    options: dict,
    variation: int,
    round_: int,
    now: datetime,
) -> Produced:
    written: list[dict] = []

    def builtin() -> dict:  # timed by complete_json: its AiCall row carries the writer's time
        written.append(write_text(brief, asset_type, options, variation, round_))
        return _plain(asset_type, written[0])

    after = _watermark(session, org_id)
    result = complete_json(
        session,
        org_id,
        purpose=f"asset_{asset_type}"[:40],
        system=SYSTEM.get(brief.language, SYSTEM["en"]),
        prompt=prompt_for(brief, asset_type, options, variation),
        schema=schema_for(asset_type, options),
        builtin=builtin,
        now=now,
    )
    builtin_content = (
        written[0] if written else write_text(brief, asset_type, options, variation, round_)
    )
    produced = Produced(builtin_content, result.provider, result.model, result.fallback_reason)
    if result.provider == "openai":
        content = _shape(asset_type, result.data, builtin_content, options)
        problems = problems_of(asset_type, content)
        if problems:
            reason = f"OpenAI's answer broke the limits ({'; '.join(problems[:3])})"
            say_fallback(session, org_id, asset_type, result.model, reason, now)
            produced = Produced(builtin_content, "builtin", BUILTIN_MODEL, reason)
        else:
            produced.content = content
    produced.call_ids = _new_calls(session, org_id, after)
    return produced


def _plain(asset_type: str, builtin: dict) -> dict:
    """The writer's variation as the schema wants it (complete_json validates it)."""
    if asset_type == "video_script":
        return {
            "scenes": [
                {k: s[k] for k in ("seconds", "visual", "on_screen", "voice_over")}
                for s in builtin["scenes"]
            ]
        }
    if asset_type == "ad_creative":
        keep = (
            ("primary_text", "headline", "description")
            if builtin["network"] == "meta"
            else ("headlines", "descriptions", "path1", "path2")
        )
        return {k: builtin[k] for k in keep}
    if asset_type == "social_post":
        return {k: builtin[k] for k in ("text", "hashtags", "image_suggestion")}
    if asset_type == "voice_ad":
        return {"script": builtin["script"]}
    if asset_type == "image":
        return {k: builtin[k] for k in ("headline", "subline", "cta")}
    return {"emails": builtin["emails"]}


def say_fallback(
    session: Session, org_id: int, asset_type: str, model: str, reason: str, now: datetime
) -> None:
    words = asset_type.replace("_", " ")
    log_activity(
        session,
        org_id,
        "ai.fallback",
        f"The built-in writer made the {words} instead of OpenAI ({model}): {reason}.",
        now=now,
        details={"purpose": f"asset_{asset_type}", "model": model, "reason": reason},
    )
    session.flush()


def produce_file(
    session: Session,
    org_id: int,
    brief: Brief,
    asset_type: str,
    produced: Produced,
    logo: bytes | None,
    now: datetime,
) -> None:
    """The voice ad's audio or the banner's PNG, by OpenAI when text came from OpenAI and
    the budget allows, else offline; sets produced.file/mime and adds the call ids."""
    if asset_type not in ("voice_ad", "image"):
        return
    background = None
    if produced.provider == "openai":
        answer = _ask_media(session, org_id, brief, asset_type, produced, now)
        if answer is not None and answer.data is not None:
            if asset_type == "voice_ad":
                produced.file, produced.mime = answer.data, "audio/wav"
                return
            background = answer.data
    started = time.monotonic()
    produced.file, produced.mime = make_file(asset_type, produced.content, brief, logo, background)
    offline = OFFLINE_MODELS[asset_type]  # the file's own time, beside the writer's
    row = record_call(
        session,
        org_id,
        f"asset_{asset_type}_file",
        "builtin",
        offline,
        ok=True,
        latency_ms=int((time.monotonic() - started) * 1000),
        now=now,
    )
    produced.call_ids.append(row.id)


def _ask_media(session, org_id, brief, asset_type, produced, now):
    settings = ai_settings_for(org_id, _config())
    usage = monthly_usage(session, org_id, now)
    if usage.exhausted:
        notice_budget(session, org_id, usage, now)
        produced.fallback_reason = spent_reason(usage)
        return None
    config = _config()
    if not (session.new or session.dirty or session.deleted):
        session.rollback()  # only our reads were in it: no snapshot spans the call
    if asset_type == "voice_ad":
        model = config.get("OPENAI_SPEECH_MODEL") or "gpt-4o-mini-tts"
        answer = openai_media.create_speech(settings, model, produced.content["script"])
        cost = SPEECH_PRICE_PER_1M_CHARS * len(produced.content["script"]) / Decimal(1_000_000)
        purpose = "asset_speech"
    else:
        model = config.get("OPENAI_IMAGE_MODEL") or "gpt-image-1"
        prompt = (
            f"A photo for a banner of {brief.business_name}: {brief.description or brief.business_name}. "
            "No text, no letters, no logos in the picture."
        )
        answer = openai_media.create_image(
            settings, model, prompt, SHAPES[produced.content["size"]]
        )
        cost, purpose = IMAGE_PRICE, "asset_picture"
    row = record_call(
        session,
        org_id,
        purpose,
        "openai",
        model,
        ok=answer.data is not None,
        latency_ms=answer.latency_ms,
        now=now,
        error=answer.error,
    )
    row.cost_usd = cost.quantize(Decimal("0.000001")) if answer.data is not None else Decimal("0")
    produced.call_ids.append(row.id)
    if answer.data is None:
        what = "voice" if asset_type == "voice_ad" else "picture"
        say_fallback(session, org_id, asset_type, model, f"the {what} failed: {answer.reason}", now)
        produced.fallback_reason = answer.reason
    session.flush()
    return answer


def _config() -> dict:
    return current_app.config if has_app_context() else {}
