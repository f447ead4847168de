"""The activity feed: scoped to the workspace, filtered, paged with "load more"."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import START, login
from webapp.core.extensions import db
from webapp.services.activity.log import log_activity


def _seed(org, n, type_="campaign.budget_changed", start=START, entity=("campaign", 7)):
    for i in range(n):
        log_activity(
            db.session,
            org,
            type_,
            f"{type_} number {i}",
            now=start + timedelta(minutes=i),
            entity=entity,
        )
    db.session.commit()


def _ids(html):
    return [int(x) for x in re.findall(r'id="activity-(\d+)"', html)]


def test_it_lists_newest_first_and_loads_more(client, alice, alice_org):
    _seed(alice_org, 30)
    login(client, alice)
    html = client.get("/activity").get_data(as_text=True)
    first = _ids(html)
    assert len(first) == 25 and first == sorted(first, reverse=True)
    more_url = (
        re.search(r'hx-get="(/activity\?before=\d+[^"]*)"', html).group(1).replace("&amp;", "&")
    )
    more = client.get(more_url, headers={"HX-Request": "true"})
    rest = _ids(more.get_data(as_text=True))
    assert "<html" not in more.get_data(as_text=True)
    assert len(rest) == 6  # 30 seeded + "workspace.created"
    assert max(rest) < min(first)
    assert 'id="load-more"' not in more.get_data(as_text=True)


def test_it_filters_by_type_entity_and_date(client, alice, alice_org):
    _seed(alice_org, 3, "lead.created", entity=("lead", 1))
    _seed(alice_org, 2, "campaign.created", start=START + timedelta(days=3), entity=("campaign", 9))
    login(client, alice)
    html = client.get("/activity?type=lead.created").get_data(as_text=True)
    assert html.count('class="feed-item"') == 3
    html = client.get("/activity?entity_type=campaign&entity_id=9").get_data(as_text=True)
    assert html.count('class="feed-item"') == 2
    day = (START + timedelta(days=3)).date().isoformat()
    html = client.get(f"/activity?since={day}&until={day}").get_data(as_text=True)
    assert html.count('class="feed-item"') == 2
    html = client.get("/activity?type=nothing.like.this").get_data(as_text=True)
    assert "No activity matches these filters." in html


def test_it_reports_an_impossible_date_range_instead_of_failing(client, alice):
    login(client, alice)
    response = client.get("/activity?since=2026-11-10&until=2026-11-01")
    assert response.status_code == 200
    assert "must be on or after" in response.get_data(as_text=True)
    assert client.get("/activity?since=not-a-date").status_code == 200


def test_it_answers_htmx_with_the_feed_partial_only(client, alice, alice_org):
    login(client, alice)
    response = client.get("/activity?type=workspace.created", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<section id="activity-feed"')
    assert "HX-Request" in response.headers.get("Vary", "")


def test_it_never_shows_another_workspaces_activity(client, alice_org, charlie):
    _seed(alice_org, 3, "secret.alice")
    login(client, charlie)
    html = client.get("/activity").get_data(as_text=True)
    assert "secret.alice" not in html
    assert "secret.alice number" not in client.get("/activity?type=secret.alice").get_data(
        as_text=True
    )
    assert "secret.alice" not in client.get("/").get_data(as_text=True)


def test_it_shows_an_empty_state_that_says_what_will_appear(client, alice, alice_org):
    login(client, alice)
    html = client.get("/activity?type=x").get_data(as_text=True)
    assert "Clear the filters" in html
