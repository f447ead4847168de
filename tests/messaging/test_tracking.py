"""Tracking links in sequence emails: the open pixel, signed click redirects (no open
redirect), and one-click unsubscribe (RFC 8058 List-Unsubscribe-Post)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from tests.conftest import START
from tests.messaging.factories import (
    LONG_WELCOME,
    WELCOME,
    make_contact,
    make_sequence,
    sends_of,
)
from webapp.core.extensions import db
from webapp.models import CampaignMetric, OutboxMessage
from webapp.services.messaging.dispatch import process_due
from webapp.services.messaging.tracking import make_token


def sent_email(app, org, steps=LONG_WELCOME) -> tuple:
    campaign = make_sequence(org, steps=steps[:2])
    lead = make_contact(org, email="ana@example.com", name="Ana")
    db.session.commit()
    assert process_due(app, now=START).sent == 1
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    return campaign, lead, message


def path_of(url: str) -> str:
    return urlsplit(url).path


def metric(campaign) -> CampaignMetric | None:
    db.session.expire_all()
    return db.session.scalars(
        select(CampaignMetric).where(CampaignMetric.campaign_id == campaign.id)
    ).one_or_none()


def test_a_short_mail_goes_without_the_pixel(app, alice_org):
    _campaign, _lead, message = sent_email(app, alice_org, steps=WELCOME)
    assert "/o/" not in message.body_html and "<img" not in message.body_html
    assert "/c/" in message.body_html  # its links are still tracked


def test_it_counts_opens_with_a_pixel(app, client, alice_org):
    campaign, _lead, message = sent_email(app, alice_org)
    pixel = re.search(r'<img src="([^"]+/o/[^"]+\.gif)"', message.body_html).group(1)
    for _ in range(2):
        response = client.get(path_of(pixel))
        assert response.status_code == 200
        assert response.mimetype == "image/gif" and response.data.startswith(b"GIF89a")
        assert "no-store" in response.headers["Cache-Control"]
    [send, _next] = sends_of(campaign)
    assert (send.opens, send.first_opened_at) == (2, START)
    assert metric(campaign).impressions == 1  # unique opens feed the day's metrics
    assert metric(campaign).source == "tracked"
    # A forged pixel still answers an image and counts nothing.
    assert client.get("/o/forged.gif").status_code == 200
    assert sends_of(campaign)[0].opens == 2


def test_it_redirects_a_click_only_to_an_address_of_the_message(app, client, alice_org):
    campaign, _lead, message = sent_email(app, alice_org)
    [link] = re.findall(r'href="([^"]+/c/[^"]+)"', message.body_html)
    response = client.get(path_of(link))
    assert response.status_code == 302
    assert response.headers["Location"] == "https://alicebakes.example/menu"
    send = sends_of(campaign)[0]
    assert (send.clicks, send.opens) == (1, 1)  # a click proves an open
    assert (metric(campaign).clicks, metric(campaign).impressions) == (1, 1)

    secret = app.config["SECRET_KEY"]
    for forged in (
        make_token(secret, "click", send.id, 1),  # signed, but the message has no second link
        make_token(secret, "click", send.id, -1),
        make_token(secret, "click", send.id),
        make_token("another-secret", "click", send.id, 0),
        make_token(secret, "open", send.id, 0),  # a token for another purpose
        "not-a-token",
        link.rsplit("/", 1)[1].replace(
            f"{send.id}-0", f"{send.id + 1}-0"
        ),  # the numbers changed, not the signature
    ):
        assert client.get(f"/c/{forged}").status_code == 404, forged
    assert sends_of(campaign)[0].clicks == 1


def test_the_email_carries_one_click_unsubscribe_headers_and_a_link(app, alice_org):
    _campaign, _lead, message = sent_email(app, alice_org)
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https?://[^>]+/u/[^>]+)>", message.headers["List-Unsubscribe"]).group(1)
    assert url in message.body_text and url in message.body_html


def test_a_mail_app_unsubscribes_with_one_post_and_no_cookies(app, alice_org):
    campaign, lead, message = sent_email(app, alice_org)
    url = message.headers["List-Unsubscribe"].strip("<>")
    anonymous = app.test_client()
    response = anonymous.post(path_of(url), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    # The email link opts out of email only: a suppression row, not "everything".
    assert email_blocked(lead) == "unsubscribe" and lead.unsubscribed_at is None
    first, second = sends_of(campaign)
    assert (second.status, second.error) == (
        "cancelled",
        "Unsubscribed by one-click unsubscribe from the mail app.",
    )
    # Again is harmless.
    assert anonymous.post(path_of(url), data={"List-Unsubscribe": "One-Click"}).status_code == 200


def test_the_unsubscribe_page_asks_first_and_can_undo(app, client, alice_org, clock):
    _campaign, lead, message = sent_email(app, alice_org)
    path = path_of(message.headers["List-Unsubscribe"].strip("<>"))
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Unsubscribe from Alice Bakes?" in html and "an•@example.com" in html
    db.session.expire_all()
    assert email_blocked(lead) is None  # a GET (a link scanner) changes nothing

    done = client.post(path)
    assert "You are unsubscribed" in done.get_data(as_text=True)
    db.session.expire_all()
    assert email_blocked(lead) == "unsubscribe"
    assert "You are unsubscribed" in client.get(path).get_data(as_text=True)
    clock.advance(hours=1)
    back = client.post(f"{path}/resubscribe")
    assert "subscribed again" in back.get_data(as_text=True)
    db.session.expire_all()
    assert email_blocked(lead) is None


def email_blocked(lead) -> str | None:
    from webapp.services.suppression import blocked

    return blocked(db.session, lead.org_id, "email", lead.email)


def test_a_bad_unsubscribe_link_is_a_404(client, app):
    assert client.get("/u/nonsense").status_code == 404
    assert client.post("/u/nonsense", data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_tracking_metrics_are_counted_in_the_workspace_day(app, client, alice_org, clock):
    campaign, _lead, message = sent_email(app, alice_org)
    pixel = re.search(r'<img src="([^"]+)"', message.body_html).group(1)
    clock.set(
        START.replace(hour=23, minute=30) + timedelta(days=140)
    )  # 23:30 UTC in April = 00:30 BST next day
    client.get(path_of(pixel))
    row = metric(campaign)
    assert row.day == (clock() + timedelta(hours=1)).date()
