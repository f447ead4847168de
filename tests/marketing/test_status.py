"""The status machine: only sensible moves, each refusal naming the current status and the
ones allowed, dates that must fit, and an activity entry for every move."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import START
from tests.marketing.factories import make_campaign
from webapp.core.extensions import db
from webapp.models import ActivityLog
from webapp.models.marketing import CAMPAIGN_STATUSES
from webapp.services.marketing import TRANSITIONS, StatusRefused, change_status

ALLOWED = {
    ("draft", "scheduled"),
    ("draft", "active"),
    ("draft", "archived"),
    ("scheduled", "draft"),
    ("scheduled", "active"),
    ("scheduled", "archived"),
    ("active", "paused"),
    ("active", "completed"),
    ("paused", "active"),
    ("paused", "completed"),
    ("completed", "archived"),
}
TODAY = date(2026, 11, 23)  # START in Europe/London


def test_the_table_is_the_one_the_product_promises():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert set(TRANSITIONS) == set(CAMPAIGN_STATUSES)


@pytest.mark.parametrize("before,after", sorted(ALLOWED))
def test_an_allowed_move_happens_and_is_in_the_feed(alice_org, before, after):
    campaign = make_campaign(alice_org, status=before, starts_on=TODAY + timedelta(days=3))
    change_status(db.session, alice_org, campaign, after, actor_id=None, now=START)
    db.session.commit()
    assert campaign.status == after
    entry = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == f"marketing.campaign_{after}")
    ).one()
    assert entry.entity_id == str(campaign.id)
    assert entry.details == {"from": before, "to": after}
    if after == "active":
        assert campaign.started_at == START
    if after == "completed":
        assert campaign.completed_at == START


REFUSED = sorted(
    (a, b) for a in CAMPAIGN_STATUSES for b in CAMPAIGN_STATUSES if (a, b) not in ALLOWED
)


@pytest.mark.parametrize("before,after", REFUSED)
def test_any_other_move_is_refused_with_what_is_allowed(alice_org, before, after):
    campaign = make_campaign(alice_org, status=before, starts_on=TODAY + timedelta(days=3))
    with pytest.raises(StatusRefused) as refused:
        change_status(db.session, alice_org, campaign, after, actor_id=None, now=START)
    message = str(refused.value)
    assert f"is {before}" in message and f"cannot become {after}" in message
    for allowed in TRANSITIONS[before]:
        assert allowed in message
    if before == "archived":
        assert "stays archived" in message
    assert refused.value.field == "status"
    db.session.rollback()
    assert campaign.status == before


def test_an_unknown_status_is_refused_naming_the_real_ones(alice_org):
    campaign = make_campaign(alice_org)
    with pytest.raises(StatusRefused, match="not a status; use one of: draft, scheduled"):
        change_status(db.session, alice_org, campaign, "running", actor_id=None, now=START)


def test_scheduling_needs_a_start_date_not_yet_passed(alice_org):
    campaign = make_campaign(alice_org)
    with pytest.raises(StatusRefused, match="Set a start date"):
        change_status(db.session, alice_org, campaign, "scheduled", actor_id=None, now=START)
    campaign.starts_on = TODAY - timedelta(days=1)
    with pytest.raises(StatusRefused, match="has passed"):
        change_status(db.session, alice_org, campaign, "scheduled", actor_id=None, now=START)
    campaign.starts_on = TODAY  # today is fine: the next tick starts it
    change_status(db.session, alice_org, campaign, "scheduled", actor_id=None, now=START)
    assert campaign.status == "scheduled"


def test_starting_after_the_end_date_is_refused(alice_org):
    campaign = make_campaign(alice_org)
    campaign.ends_on = TODAY - timedelta(days=1)
    with pytest.raises(StatusRefused, match="end date 2026-11-22 has passed"):
        change_status(db.session, alice_org, campaign, "active", actor_id=None, now=START)
