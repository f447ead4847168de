"""An activity line is rendered once and kept (webapp/web/activity/items.py): what can change
about it — the viewer's zone, the actor's name, the workspace's name — still shows."""

from __future__ import annotations

import re

from tests.conftest import START, login
from webapp.core.extensions import db
from webapp.services.activity.log import log_activity

HX = {"HX-Request": "true"}


def _line(html: str, row_id: int) -> str:
    return re.search(rf'<li class="feed-item" id="activity-{row_id}">.*?</li>', html, re.S).group(0)


def test_a_kept_line_follows_the_zone_and_the_actors_name(client, alice, alice_org):
    row = log_activity(
        db.session, alice_org, "lead.status_changed", "Status set to won", now=START,
        actor_id=alice.id,
    )  # fmt: skip
    db.session.commit()
    login(client, alice)
    first = _line(client.get("/").text, row.id)
    assert alice.name in first and "10:00" in first  # START: 10:00 UTC, London too

    alice.name = "Alice Renamed"
    alice_org.timezone = "Asia/Tokyo"
    db.session.commit()
    again = _line(client.get("/").text, row.id)

    assert "Alice Renamed" in again and "19:00" in again  # 10:00 UTC is 19:00 in Tokyo


def test_support_sees_the_workspace_of_each_line_when_loading_more(
    client, alice_org, charlie, support_user
):
    for i in range(30):
        log_activity(db.session, alice_org, "campaign.budget_changed", f"Budget {i}", now=START)
    db.session.commit()
    login(client, support_user)
    html = client.get("/activity").text
    assert html.count(f'<span class="badge">{alice_org.name}</span>') == 25
    more = re.search(r'hx-get="(/activity\?before=\d+[^"]*)"', html).group(1).replace("&amp;", "&")

    rest = client.get(more, headers=HX).text

    lines = rest.count('class="feed-item"')
    assert lines >= 5  # the other five budgets, and the workspaces' own first lines
    assert rest.count('<span class="badge">') == lines
