"""Tracking that a mail filter and a person can trust: a HEAD or a link scanner is no click,
a link's visible text never shows an address it does not lead to, the open pixel can be
switched off, and a workspace can use its own tracking domain."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import csrf_from, login
from tests.messaging.factories import sends_of
from tests.messaging.test_tracking import path_of, sent_email
from webapp.core.extensions import db
from webapp.models import ActivityLog
from webapp.services.messaging.email_settings import EmailSettingsInvalid, clean_tracking_domain
from webapp.services.messaging.tracking import LinkMaker, looks_like_url

ANCHORS = re.compile(r"<a\b[^>]*href=\"([^\"]+)\"[^>]*>(.*?)</a>", re.S)


def tracked_link(message) -> str:
    [link] = re.findall(r'href="([^"]+/c/[^"]+)"', message.body_html)
    return link


def test_it_answers_a_head_without_counting_a_click_or_an_open(app, client, alice_org):
    campaign, _lead, message = sent_email(app, alice_org)
    response = client.head(path_of(tracked_link(message)))
    assert response.status_code == 302
    assert response.headers["Location"] == "https://alicebakes.example/menu"
    pixel = re.search(r'<img src="([^"]+/o/[^"]+\.gif)"', message.body_html).group(1)
    assert client.head(path_of(pixel)).status_code == 200
    send = sends_of(campaign)[0]
    assert (send.clicks, send.opens, send.first_clicked_at) == (0, 0, None)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Purpose": "prefetch"},
        {"Purpose": "prefetch"},
        {"X-Moz": "prefetch"},
        {"User-Agent": "Mozilla/5.0 (compatible; Barracuda Sentinel link protection)"},
        {"User-Agent": "Mimecast URL Protect"},
    ],
)
def test_it_does_not_count_prefetches_and_known_link_scanners(app, client, alice_org, headers):
    campaign, _lead, message = sent_email(app, alice_org)
    response = client.get(path_of(tracked_link(message)), headers=headers)
    assert response.status_code == 302
    assert sends_of(campaign)[0].clicks == 0
    # A person's click afterwards still counts.
    client.get(path_of(tracked_link(message)))
    assert sends_of(campaign)[0].clicks == 1


def test_it_never_shows_an_address_while_the_link_leads_elsewhere(app, alice_org):
    _campaign, _lead, message = sent_email(app, alice_org)
    anchors = ANCHORS.findall(message.body_html)
    assert anchors
    for href, text in anchors:
        visible = re.sub(r"<[^>]*>", "", text).strip()
        assert visible
        if looks_like_url(visible):
            assert html.unescape(href) == html.unescape(visible), (href, text)
    tracked = [(h, t) for h, t in anchors if "/c/" in h]
    assert tracked and all(not looks_like_url(t) for _h, t in tracked)
    assert ">Open alicebakes.example</a>" in message.body_html


def test_it_keeps_a_worded_link_text_and_tracks_it():
    links = LinkMaker("https://app.example", "s3cret")
    decorated = links.decorate_email(
        7,
        "Menu: https://alicebakes.example/menu",
        '<p><a style="color:red" href="https://alicebakes.example/menu">See the <b>menu</b></a></p>',
        org_name="Alice Bakes",
    )
    assert re.search(
        r'<a style="color:red" href="https://app\.example/c/7-0\.[^"]+">See the <b>menu</b></a>',
        decorated.html,
    )
    for text in ("https://x.example", "www.x.example", "x.example/menu", "mailto:a@x.example"):
        assert looks_like_url(text), text
    for text in ("See the menu", "Open x.example", "Book now!", ""):
        assert not looks_like_url(text), text


def test_it_leaves_out_the_open_pixel_when_the_workspace_switched_it_off(app, alice_org):
    alice_org.track_opens = False
    db.session.commit()
    _campaign, _lead, message = sent_email(app, alice_org)
    assert "/o/" not in message.body_html and "<img" not in message.body_html
    assert "/c/" in message.body_html  # clicks are still counted


def test_it_uses_the_workspace_tracking_domain_and_serves_it(app, client, alice_org):
    alice_org.tracking_domain = "click.alicebakes.example"
    db.session.commit()
    campaign, _lead, message = sent_email(app, alice_org)
    link = tracked_link(message)
    pixel = re.search(r'<img src="([^"]+)"', message.body_html).group(1)
    scheme = app.config["PUBLIC_URL"].split("://")[0]
    assert link.startswith(f"{scheme}://click.alicebakes.example/c/")
    assert pixel.startswith(f"{scheme}://click.alicebakes.example/o/")
    # The unsubscribe link stays on the app's own address (RFC 8058 wants it https there).
    assert "click.alicebakes.example" not in message.body_text
    response = client.get(link)  # the test client sends the link's host
    assert response.status_code == 302
    assert response.headers["Location"] == "https://alicebakes.example/menu"
    assert sends_of(campaign)[0].clicks == 1


@pytest.mark.parametrize(
    "value",
    ["https://click.example.com", "click.example.com/x", "click", "-a.example.com",
     "1.2.3.4", "click.example.com:8443", "a..example.com", "x" * 64 + ".example.com"],
)  # fmt: skip
def test_it_refuses_a_tracking_domain_that_is_not_a_host_name(value):
    with pytest.raises(EmailSettingsInvalid) as raised:
        clean_tracking_domain(value)
    assert raised.value.field == "tracking_domain"


def test_it_keeps_a_tracking_domain_lower_case():
    assert clean_tracking_domain(" Click.AliceBakes.example. ") == "click.alicebakes.example"
    assert clean_tracking_domain("") is None


def test_it_saves_the_settings_from_the_page(app, client, alice, alice_org):
    login(client, alice)
    page = client.get("/settings/email")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "CNAME" in html and "Off: contacts who fill in" in html
    token = csrf_from(html)
    bad = client.post("/settings/email", data={"csrf_token": token, "tracking_domain": "https://x"})
    assert bad.status_code == 422 and "host name only" in bad.get_data(as_text=True)
    saved = client.post(
        "/settings/email",
        data={"csrf_token": token, "tracking_domain": "click.alicebakes.example"},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert (alice_org.track_opens, alice_org.tracking_domain, alice_org.double_optin) == (
        False,
        "click.alicebakes.example",
        False,
    )
    assert db.session.query(ActivityLog).filter_by(type="workspace.email_settings").count() == 1
