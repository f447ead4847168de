"""A workspace's results stamp moves, by the database's own triggers, with every change the
results are computed from (and only those), so the dashboard may keep figures while it
stands still and never shows stale ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, update

from tests.autopilot.test_dashboard import campaign, lead, metric
from tests.conftest import login, org_of
from webapp.core.extensions import db
from webapp.models import Campaign, CampaignMetric, Lead
from webapp.services.metrics import results_stamp

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Wednesday; the week began Monday the 23rd


def moved(org, change) -> bool:
    """Whether committing `change()` moved the workspace's stamp."""
    before = results_stamp(db.session, org.id)
    db.session.commit()
    change()
    db.session.commit()
    return results_stamp(db.session, org.id) != before


def card(client, name: str) -> str:
    """The dashboard's figure card `name` (its HTML)."""
    html = client.get("/").get_data(as_text=True)
    return html.split(f'id="kpi-{name}"', 1)[1].split("</article>", 1)[0]


def test_the_stamp_moves_with_leads_metrics_and_channels_and_nothing_else(app, alice_org):
    org = alice_org
    email = campaign(org, "email")
    db.session.commit()

    assert moved(org, lambda: lead(org, NOW))
    a_lead = db.session.scalars(db.select(Lead)).one()
    assert not moved(org, lambda: setattr(a_lead, "status", "won"))  # not a result
    assert not moved(org, lambda: setattr(a_lead, "full_name", "Lee Smith"))
    assert moved(org, lambda: setattr(a_lead, "campaign_id", email.id))
    assert moved(org, lambda: setattr(a_lead, "source", "seo"))
    assert moved(org, lambda: setattr(a_lead, "created_at", NOW - timedelta(days=1)))

    assert moved(org, lambda: metric(org, email, date(2026, 11, 24), spend="10"))
    assert moved(
        org,
        lambda: db.session.execute(update(CampaignMetric).values(spend=Decimal("12.50"))),
    )
    assert not moved(org, lambda: setattr(email, "name", "Renamed"))
    assert moved(org, lambda: setattr(email, "channel", "sms"))
    assert moved(org, lambda: db.session.execute(delete(CampaignMetric)))
    assert moved(org, lambda: db.session.execute(delete(Lead)))


def test_another_workspaces_changes_leave_the_stamp_alone(app, alice_org, charlie):
    other = org_of(charlie)
    assert not moved(alice_org, lambda: lead(other, NOW))
    assert moved(other, lambda: lead(other, NOW))


def test_a_bulk_change_moves_the_stamp_of_each_workspace_it_touches(app, alice_org, charlie):
    other = org_of(charlie)
    for org in (alice_org, other):
        lead(org, NOW)
    db.session.commit()
    stamps = {org.id: results_stamp(db.session, org.id) for org in (alice_org, other)}
    db.session.execute(update(Lead).values(source="referral"))  # one statement, both
    db.session.commit()
    for org in (alice_org, other):
        assert results_stamp(db.session, org.id) != stamps[org.id]


def test_postgresql_bumps_once_a_transaction_and_only_at_commit(app, alice_org):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite bumps per row: one writer at a time, nothing waits on the stamp")
    before = results_stamp(db.session, alice_org.id)
    db.session.commit()
    for n in range(50):
        lead(alice_org, NOW - timedelta(minutes=n))
    db.session.flush()
    # Deferred to commit: the stamp row is the last lock the transaction takes.
    assert results_stamp(db.session, alice_org.id) == before
    db.session.commit()
    assert results_stamp(db.session, alice_org.id) == before + 1


def test_the_dashboard_shows_a_change_at_once_though_it_keeps_its_figures(
    client, alice, alice_org, clock
):
    clock.set(NOW)
    email = campaign(alice_org, "email")
    lead(alice_org, NOW - timedelta(hours=2))
    db.session.commit()
    login(client, alice)

    def kpi(name: str) -> str:
        return card(client, name).split('class="kpi-value">', 1)[1].split("</p>", 1)[0]

    assert kpi("leads") == "1"
    lead(alice_org, NOW - timedelta(minutes=5))
    db.session.commit()
    assert kpi("leads") == "2"  # the same minute: the stamp, not the clock, told
    metric(alice_org, email, date(2026, 11, 25), spend="40", revenue="100")
    db.session.commit()
    assert kpi("spend") == "$40.00"
    db.session.execute(update(CampaignMetric).values(spend=Decimal("50")))  # a bulk UPDATE
    db.session.commit()
    assert kpi("spend") == "$50.00"
    db.session.execute(delete(Lead).where(Lead.created_at > NOW - timedelta(hours=1)))
    db.session.commit()
    assert kpi("leads") == "1"


def test_the_kept_figures_move_on_with_the_clock(client, alice, alice_org, clock):
    """Last week's comparison span ends at the same moment a week ago: it moves with the
    clock, though no data changed."""
    clock.set(NOW)
    lead(
        alice_org, NOW - timedelta(days=7) + timedelta(minutes=3)
    )  # 3 minutes into the future of last week
    db.session.commit()
    login(client, alice)
    assert "nothing to compare yet" in card(client, "leads")
    clock.advance(minutes=5)
    assert "vs last week" in card(client, "leads")


def test_a_campaign_removed_moves_the_stamp(app, alice_org):
    email = campaign(alice_org, "email")
    metric(alice_org, email, date(2026, 11, 24), spend="10")
    db.session.commit()
    assert moved(alice_org, lambda: db.session.execute(delete(Campaign)))
