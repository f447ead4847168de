"""Creating and editing campaigns: each refused field named, edits recorded in the feed,
finished campaigns frozen, and the list's filters and pages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import START
from tests.marketing.factories import make_campaign
from webapp.core.extensions import db
from webapp.models import ActivityLog
from webapp.services.marketing import (
    CampaignError,
    change_status,
    create_campaign,
    list_campaigns,
    update_campaign,
)

GOOD = {"name": "Open day", "type": "referral", "objective": "Ten new members by Christmas"}


@pytest.mark.parametrize(
    "change,field,words",
    [
        ({"name": "  "}, "name", "Give the campaign a name"),
        ({"name": "x" * 121}, "name", "120 characters"),
        ({"type": "viral"}, "type", "Choose one of: lead_generation"),
        ({"objective": ""}, "objective", "what the campaign should achieve"),
        ({"starts_on": "2026-13-01"}, "starts_on", "YYYY-MM-DD"),
        ({"starts_on": "2026-12-10", "ends_on": "2026-12-01"}, "ends_on", "before the start"),
        ({"ends_on": "2026-11-01"}, "ends_on", "already passed"),
        ({"budget": "-5"}, "budget", "cannot be negative"),
        ({"budget": "lots"}, "budget", "as a number"),
        ({"budget": "NaN"}, "budget", "negative"),
        ({"channels": ["tiktok"]}, "channels", "'tiktok' is not a channel"),
        ({"offer": "y" * 301}, "offer", "300 characters"),
    ],
)
def test_a_refused_field_is_named(alice_org, change, field, words):
    with pytest.raises(CampaignError) as refused:
        create_campaign(db.session, alice_org, {**GOOD, **change}, actor_id=None, now=START)
    assert refused.value.field == field
    assert words in str(refused.value)


def test_a_new_campaign_is_a_draft_with_its_fields_and_a_feed_entry(alice, alice_org):
    campaign = create_campaign(
        db.session,
        alice_org,
        {
            **GOOD,
            "name": "  Open   day ",
            "budget": "1500.5",
            "channels": ["meta_ads", "email", "meta_ads"],
            "offer": "A free coffee",
            "starts_on": "2026-12-01",
        },
        actor_id=alice.id,
        now=START,
    )
    db.session.commit()
    assert (campaign.status, campaign.name, campaign.budget) == (
        "draft",
        "Open day",
        Decimal("1500.50"),
    )
    assert campaign.channels == ["email", "meta_ads"]  # one each, in the product's order
    assert campaign.settings == {"offer": "A free coffee"}
    assert campaign.starts_on == date(2026, 12, 1)
    entry = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type.like("marketing.%"))
    ).one()
    assert (entry.type, entry.actor_id) == ("marketing.campaign_created", alice.id)
    assert "Open day" in entry.description and "Referral" in entry.description


def test_an_edit_lists_what_changed_and_nothing_is_logged_for_no_change(alice, alice_org):
    campaign = make_campaign(alice_org)
    fields = {
        "name": campaign.name,
        "type": campaign.type,
        "objective": campaign.objective,
        "budget": "1000",
        "channels": ["email", "meta_ads"],
    }
    assert (
        update_campaign(db.session, alice_org, campaign, fields, actor_id=alice.id, now=START) == []
    )
    changed = update_campaign(
        db.session,
        alice_org,
        campaign,
        {**fields, "budget": "1200", "offer": "Bring a friend"},
        actor_id=alice.id,
        now=START,
    )
    db.session.commit()
    assert changed == ["budget", "offer"]
    entry = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "marketing.campaign_updated")
    ).one()
    assert entry.description == "Campaign “Spring open day” edited: budget, offer."


def test_a_started_campaign_keeps_its_start_date_and_a_finished_one_is_frozen(alice_org):
    today = date(2026, 11, 23)
    campaign = make_campaign(alice_org, starts_on=today)
    change_status(db.session, alice_org, campaign, "active", actor_id=None, now=START)
    fields = {**GOOD, "starts_on": today + timedelta(days=1)}
    with pytest.raises(CampaignError) as refused:
        update_campaign(db.session, alice_org, campaign, fields, actor_id=None, now=START)
    assert refused.value.field == "starts_on"
    change_status(db.session, alice_org, campaign, "completed", actor_id=None, now=START)
    with pytest.raises(CampaignError, match="completed; a finished campaign cannot be edited"):
        update_campaign(db.session, alice_org, campaign, GOOD, actor_id=None, now=START)


def test_the_list_filters_pages_and_keeps_archived_aside(alice_org, charlie):
    from tests.conftest import org_of

    for i in range(23):
        make_campaign(alice_org, name=f"Campaign {i:02d}", now=START + timedelta(minutes=i))
    make_campaign(alice_org, name="Referral push", type="referral", status="archived")
    make_campaign(org_of(charlie), name="Charlie's")
    first = list_campaigns(db.session, alice_org.id)
    assert (first.total, len(first.rows), first.has_next) == (23, 20, True)
    assert first.rows[0].name == "Campaign 22"  # newest first
    second = list_campaigns(db.session, alice_org.id, page=2)
    assert [c.name for c in second.rows] == ["Campaign 02", "Campaign 01", "Campaign 00"]
    assert not second.has_next
    assert list_campaigns(db.session, alice_org.id, status="all").total == 24
    archived = list_campaigns(db.session, alice_org.id, status="archived")
    assert [c.name for c in archived.rows] == ["Referral push"]
    assert list_campaigns(db.session, alice_org.id, type="referral").total == 0
    assert list_campaigns(db.session, alice_org.id, status="all", type="referral").total == 1


def test_a_scheduled_campaign_cannot_move_its_start_into_the_past(alice_org):
    today = date(2026, 11, 23)
    campaign = make_campaign(alice_org, starts_on=today + timedelta(days=2))
    change_status(db.session, alice_org, campaign, "scheduled", actor_id=None, now=START)
    fields = {**GOOD, "starts_on": today - timedelta(days=1)}
    with pytest.raises(CampaignError, match="start date has passed") as refused:
        update_campaign(db.session, alice_org, campaign, fields, actor_id=None, now=START)
    assert refused.value.field == "starts_on"
    fields["starts_on"] = today
    assert "starts_on" in update_campaign(
        db.session, alice_org, campaign, fields, actor_id=None, now=START
    )
