"""Views and submissions: one counter row per page and day, bumped in place; robots and
prefetches are not views; a campaign's figures never include another workspace's pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import START, org_of
from tests.landing_pages.helpers import campaign, page
from webapp.core.extensions import db
from webapp.models import LandingPageDay
from webapp.services.landing_pages import count_view, page_figures
from webapp.services.landing_pages.stats import count_submission, last_days

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"


def test_counts_are_one_row_per_day_bumped_in_place(app, alice_org):
    row = page(alice_org, published=True)
    for _ in range(3):
        count_view(db.session, row.id, now=START)
    count_submission(db.session, row.id, now=START)
    count_view(db.session, row.id, now=START + timedelta(days=1))
    db.session.commit()
    days = db.session.scalars(select(LandingPageDay).order_by(LandingPageDay.day)).all()
    assert [(d.day, d.views, d.form_submissions) for d in days] == [
        (START.date(), 3, 1),
        (START.date() + timedelta(days=1), 1, 0),
    ]
    series = last_days(db.session, row.id, today=START.date() + timedelta(days=1), days=3)
    assert [(v, n) for _day, v, n in series] == [(0, 0), (3, 1), (1, 0)]


def test_a_campaigns_figures_add_its_pages_and_no_one_elses(app, alice_org, charlie):
    spring = campaign(alice_org, "Spring")
    first, second = page(alice_org, spring, published=True), page(alice_org, spring)
    unrelated = page(alice_org, published=True)
    theirs = page(org_of(charlie), published=True)
    for target, views in ((first, 30), (second, 10), (unrelated, 7), (theirs, 5)):
        for _ in range(views):
            count_view(db.session, target.id, now=START)
    count_submission(db.session, first.id, now=START)
    count_submission(db.session, second.id, now=START)
    db.session.commit()
    figures = page_figures(db.session, alice_org.id, spring.id)
    assert (figures.views, figures.submissions) == (40, 2)
    assert figures.conversion_rate == 0.05
    assert [p["id"] for p in figures.pages] == [first.id, second.id]
    # Another workspace asking with Alice's campaign id sees nothing.
    nothing = page_figures(db.session, org_of(charlie).id, spring.id)
    assert (nothing.views, nothing.pages, nothing.conversion_rate) == (0, [], None)


def test_robots_and_prefetches_are_not_views(client, alice_org):
    row = page(alice_org, published=True)
    db.session.refresh(alice_org)
    path = f"/p/{alice_org.public_slug}/{row.slug}"
    client.get(path, headers={"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"})
    client.get(path, headers={"User-Agent": FIREFOX, "Sec-Purpose": "prefetch"})
    client.get(path, headers={"User-Agent": ""})
    client.head(path, headers={"User-Agent": FIREFOX})
    assert page_figures(db.session, alice_org.id, 0).views == 0
    client.get(path, headers={"User-Agent": FIREFOX})
    db.session.expire_all()
    assert db.session.scalars(select(LandingPageDay.views)).one() == 1
