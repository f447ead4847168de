"""The `assets.generate` job: one asset's three variations (or the file of the chosen
one), written with no transaction open, progress shown midway (`ctx.write`), and the
result stored by the job's outcome with its Generation row (tokens, cost and time, from
the AiCall rows of its calls).

Payload: {"asset_id", "action": generate | regenerate | file, "round"}. "file" makes the
chosen variation's audio or picture again (after choosing another variation, or editing
its words)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models import AiCall, Asset, BrandProfile, Generation, MarketingCampaign, Organization
from webapp.models.queue import QueuedJob
from webapp.queue import Done, Failed, JobContext, Outcome
from webapp.services.activity import log_activity
from webapp.services.assets.produce import Produced, produce_file, produce_text
from webapp.services.assets.voice import VoiceUnavailable
from webapp.services.marketing import brief_for

KIND = "assets.generate"
VARIATIONS = 3
TYPE_WORDS = {
    "email_sequence": "email sequence",
    "social_post": "social post",
    "ad_creative": "ad",
    "video_script": "video script",
    "voice_ad": "voice ad",
    "image": "banner image",
}


def _progress(asset_id: int, percent: int, state: str = "running"):
    def apply(session: Session) -> None:
        asset = session.get(Asset, asset_id)
        if asset is not None:
            asset.state, asset.progress = state, percent

    return apply


def _failed(session: Session, job: QueuedJob, failure: Failed) -> None:
    asset = session.get(Asset, (job.payload or {}).get("asset_id"))
    if asset is not None and job.status == "failed":
        asset.state, asset.error = "failed", failure.error[:1000]


@queue.register(KIND, max_attempts=3, lease_seconds=600, on_failed=_failed)
def run_generation(job: QueuedJob, ctx: JobContext) -> Outcome:
    session = ctx.session
    asset = session.get(Asset, (job.payload or {}).get("asset_id"))
    if asset is None or asset.org_id != job.org_id:
        return Done({"note": "the asset is gone"})
    org = session.get(Organization, asset.org_id)
    campaign = (
        session.get(MarketingCampaign, asset.marketing_campaign_id)
        if asset.marketing_campaign_id
        else None
    )
    brief = brief_for(session, org, campaign)
    logo = session.scalar(select(BrandProfile.logo).where(BrandProfile.org_id == org.id))
    action, round_ = job.payload.get("action", "generate"), int(job.payload.get("round", 0))
    asset_id, org_id, asset_type, options = asset.id, org.id, asset.type, dict(asset.options or {})
    content, chosen = dict(asset.content or {}), asset.chosen
    session.rollback()  # our reads end here: no snapshot spans the writers' calls
    ctx.write(_progress(asset_id, 5))
    results: list[Produced] = []
    try:
        with Session(session.get_bind()) as own:
            if action == "file":
                variations = content.get("variations") or []
                providers = content.get("providers") or ["builtin"] * len(variations)
                results = [Produced(variations[chosen], providers[chosen])] if variations else []
            else:
                for n in range(VARIATIONS):
                    results.append(
                        produce_text(own, org_id, brief, asset_type, options, n, round_, ctx.now())
                    )
                    own.commit()
                    ctx.write(_progress(asset_id, 10 + 25 * (n + 1)))
                chosen = 0
            if results:
                index = 0 if action == "file" else chosen
                produce_file(own, org_id, brief, asset_type, results[index], logo, ctx.now())
                own.commit()
    except VoiceUnavailable as exc:
        return Failed(str(exc), "CONFIGURATION_ERROR", retryable=False)
    return Done(
        {"asset_id": asset_id, "action": action},
        _store(asset_id, action, results, chosen, ctx.now()),
    )


def _store(asset_id: int, action: str, results: list[Produced], chosen: int, now: datetime):
    def apply(session: Session) -> None:
        asset = session.get(Asset, asset_id)
        if asset is None:
            return
        if action != "file":
            asset.content = {
                **(asset.content or {}),
                "variations": [r.content for r in results],
                "providers": [r.provider for r in results],
            }
            asset.chosen, asset.status, asset.approved_at = chosen, "draft", None
        made = results[0 if action == "file" else chosen] if results else None
        if made is not None and made.file is not None:
            asset.file, asset.file_mime = made.file, made.mime
        asset.state, asset.progress, asset.error, asset.updated_at = "done", 100, None, now
        generation = _generation(session, asset, action, results, now)
        if action != "file":
            log_activity(
                session,
                asset.org_id,
                "asset.generated",
                f"{VARIATIONS} variations of the {TYPE_WORDS[asset.type]} “{asset.name}” are ready "
                f"({'OpenAI' if generation.provider == 'openai' else 'built-in writer'}, "
                f"${generation.cost_usd:.4f}).",
                now=now,
                entity=("asset", asset.id),
            )

    return apply


def _generation(
    session: Session, asset: Asset, action: str, results: list[Produced], now: datetime
) -> Generation:
    ids = [i for r in results for i in r.call_ids]
    calls = list(session.scalars(select(AiCall).where(AiCall.id.in_(ids)))) if ids else []
    used = [r for r in results if r.provider == "openai"]
    row = Generation(
        org_id=asset.org_id,
        asset_id=asset.id,
        ai_call_id=calls[-1].id if calls else None,
        action=action,
        provider="openai" if used else "builtin",
        model=used[0].model if used else (results[0].model if results else "builtin"),
        tokens_in=sum(c.tokens_in for c in calls),
        tokens_out=sum(c.tokens_out for c in calls),
        cost_usd=sum((c.cost_usd for c in calls), Decimal("0")),
        latency_ms=sum(c.latency_ms for c in calls),
        ok=all(c.ok for c in calls),
        fallback_reason=next((r.fallback_reason for r in results if r.fallback_reason), None),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
