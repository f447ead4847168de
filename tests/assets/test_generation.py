"""Assets in a workspace: queued generation on the work engine, variations, choosing,
editing, approval, and an approved email sequence becoming a sequence."""

from __future__ import annotations

import io
import wave

import pytest
from PIL import Image
from sqlalchemy import select

from tests.assets.conftest import run_jobs
from webapp.core.extensions import db
from webapp.models import ActivityLog, AiCall, Asset, Campaign, Generation, SequenceStep
from webapp.services import assets


def make(org, camp, asset_type, options, clock):
    asset = assets.create_asset(
        db.session, org.id, asset_type, options, campaign=camp, actor_id=None, now=clock()
    )
    db.session.commit()
    return asset.id


@pytest.mark.parametrize(
    ("asset_type", "options"),
    [
        ("email_sequence", {}),
        ("social_post", {"platform": "x"}),
        ("ad_creative", {"network": "google"}),
        ("video_script", {"length": 15}),
        ("voice_ad", {"length": 15}),
        ("image", {"size": "1080x1920"}),
    ],
)
def test_generation_job_writes_three_variations_for_each_business(
    app, clock, bakery, salon, asset_type, options
):
    ids = [make(org, camp, asset_type, options, clock) for org, camp in (bakery, salon)]
    assert db.session.get(Asset, ids[0]).state == "queued"
    run_jobs(app, clock)
    bread, hair = (db.session.get(Asset, i) for i in ids)
    for asset, name in ((bread, "Alice Bakes"), (hair, "Charlie Cuts")):
        assert asset.state == "done" and asset.progress == 100
        found = assets.variations(asset)
        assert len(found) == 3 and len({str(v) for v in found}) == 3
        assert name in assets.text_of(asset_type, found[0])
        assert assets.problems_of(asset_type, found[0]) == []
        generation = db.session.scalars(
            select(Generation).where(Generation.asset_id == asset.id)
        ).one()
        assert generation.provider == "builtin" and generation.cost_usd == 0
    assert assets.text_of(asset_type, assets.current(bread)) != assets.text_of(
        asset_type, assets.current(hair)
    )
    if asset_type == "image":
        assert Image.open(io.BytesIO(bread.file)).size == (1080, 1920)
    if asset_type == "voice_ad":
        with wave.open(io.BytesIO(bread.file)) as w:
            assert abs(w.getnframes() / w.getframerate() - 15) < 1.5


def test_choose_edit_approve_and_the_email_sequence_becomes_a_sequence(app, clock, bakery):
    org, camp = bakery
    asset_id = make(org, camp, "email_sequence", {}, clock)
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    with pytest.raises(assets.AssetError, match="approve the emails first"):
        assets.to_sequence(db.session, asset, actor_id=None, now=clock())
    assets.choose(db.session, asset, 2, actor_id=None, now=clock())
    emails = assets.current(asset)["emails"]
    emails[0] = {**emails[0], "subject": "x" * 61}
    problems = assets.edit(db.session, asset, {"emails": emails}, actor_id=None, now=clock())
    assert problems == ["email 1: subject is longer than 60 characters"]
    with pytest.raises(assets.AssetError, match="fix it first"):
        assets.approve(db.session, asset, actor_id=None, now=clock())
    emails[0] = {**emails[0], "subject": "Fresh bread for Christmas"}
    assert assets.edit(db.session, asset, {"emails": emails}, actor_id=None, now=clock()) == []
    assets.approve(db.session, asset, actor_id=None, now=clock())
    assert [a.id for a in assets.approved_assets(db.session, org.id, camp.id)] == [asset.id]
    sequence = assets.to_sequence(db.session, asset, actor_id=None, now=clock())
    db.session.commit()
    steps = db.session.scalars(
        select(SequenceStep)
        .where(SequenceStep.campaign_id == sequence.id)
        .order_by(SequenceStep.position)
    ).all()
    assert db.session.get(Campaign, sequence.id).status == "draft"
    assert [s.subject for s in steps] == [e["subject"] for e in emails]
    assert [s.delay_value for s in steps] == [0, 2, 3, 4]
    assert "{{firstName|there}}" in steps[0].body


def test_choosing_another_banner_variation_redraws_its_picture(app, clock, bakery):
    org, camp = bakery
    asset_id = make(org, camp, "image", {"size": "1200x628"}, clock)
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    first = asset.file
    assets.choose(db.session, asset, 1, actor_id=None, now=clock())
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset_id)
    assert asset.state == "done" and asset.file != first
    assert Image.open(io.BytesIO(asset.file)).size == (1200, 628)


def test_regenerate_gives_new_variations_and_a_campaign_gets_its_default_assets(app, clock, bakery):
    org, camp = bakery
    made = assets.generate_for_campaign(db.session, org.id, camp, actor_id=None, now=clock())
    assert sorted(a.type for a in made) == ["ad_creative", "email_sequence"]
    assert assets.generate_for_campaign(db.session, org.id, camp, actor_id=None, now=clock()) == []
    run_jobs(app, clock)
    asset = db.session.get(Asset, made[0].id)
    before = assets.variations(asset)
    assets.regenerate(db.session, asset, actor_id=None, now=clock())
    run_jobs(app, clock)
    asset = db.session.get(Asset, made[0].id)
    assert assets.variations(asset) != before
    assert (
        db.session.scalar(select(ActivityLog.id).where(ActivityLog.type == "asset.generated"))
        is not None
    )
    assert db.session.scalars(
        select(AiCall).where(AiCall.org_id == org.id)
    ).all()  # builtin calls recorded


def test_options_are_checked(app, clock, bakery):
    org, camp = bakery
    with pytest.raises(assets.AssetError) as refused:
        assets.create_asset(
            db.session,
            org.id,
            "social_post",
            {"platform": "myspace"},
            campaign=camp,
            actor_id=None,
            now=clock(),
        )
    assert refused.value.field == "platform"
    with pytest.raises(assets.AssetError):
        assets.create_asset(
            db.session, org.id, "landing_page", {}, campaign=camp, actor_id=None, now=clock()
        )
