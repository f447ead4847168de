"""The ads area's fixtures: a local Graph API server the real `facebook-business` SDK talks
to, Alice's Meta credentials saved for her workspace, and a Meta ads channel campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.fakes.meta_graph import MetaGraph
from webapp.core.extensions import db
from webapp.models import Campaign, Organization, QueuedJob
from webapp.services.ads import run_ads_jobs
from webapp.services.connections import save_credentials

TOKEN = "EAAB-system-user-token-0001"
SECRET = "meta-app-secret-42"
MID_MONTH = datetime(2026, 12, 16, 10, 0, tzinfo=UTC)


@pytest.fixture
def graph():
    server = MetaGraph(token=TOKEN, app_secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config: dict, graph: MetaGraph) -> dict:
    return {**app_config, "META_GRAPH_URL": graph.url}


def add_campaign(org: Organization, channel: str, budget: str, now: datetime) -> Campaign:
    campaign = Campaign(
        org_id=org.id,
        name=f"{channel} ads",
        channel=channel,
        kind="auto",
        auto_managed=True,
        status="active",
        monthly_budget=Decimal(budget),
        settings={},
        created_at=now,
        updated_at=now,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def save_meta(org: Organization, now: datetime, token: str = TOKEN) -> None:
    save_credentials(
        db.session,
        org.id,
        "meta_ads",
        {
            "app_id": "4242",
            "app_secret": SECRET,
            "access_token": token,
            "ad_account_id": "act_1234567890",
        },
        actor_id=None,
        now=now,
    )


@pytest.fixture
def meta_campaign(app, alice_org: Organization, clock) -> Campaign:
    clock.set(MID_MONTH)
    save_meta(alice_org, MID_MONTH)
    campaign = add_campaign(alice_org, "meta_ads", "310.00", MID_MONTH)
    db.session.commit()
    return campaign


def run_jobs(clock) -> None:
    db.session.commit()
    run_ads_jobs(db.engine, owner="test", clock=clock)
    db.session.expire_all()


def jobs_of(kind: str) -> list[QueuedJob]:
    return list(db.session.query(QueuedJob).filter_by(kind=kind).order_by(QueuedJob.id))
