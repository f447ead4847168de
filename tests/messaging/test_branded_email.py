"""The HTML part of sequence, workflow and broadcast mail (they all leave through the
dispatcher): the workspace's responsive frame in its brand colours, the text part first,
escaped contact names, the unsubscribe link in the footer, nothing loaded from outside,
and the From the owner gave in the wizard."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

from sqlalchemy import update

from tests.broadcasts.factories import make_broadcast, make_contacts
from tests.conftest import START
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from webapp.core.extensions import db
from webapp.models import BrandProfile, Lead
from webapp.services import broadcasts
from webapp.services.messaging.dispatch import process_due

smtp_sink = smtp_server.smtp_sink  # the fixture

HOSTILE = '<script>alert("x")</script> Eve'


def brand(org, **over) -> None:
    values = {"primary_color": "#7c2d12", "accent_color": "#facc15", "updated_at": START}
    db.session.add(BrandProfile(org_id=org.id, **{**values, **over}))
    db.session.commit()


def sent_parts(app, org, smtp_sink, *, count: int = 1):
    use_smtp(app, smtp_sink, EMAIL_PER_MINUTE=0)
    ids = make_contacts(org, count)
    db.session.execute(update(Lead).where(Lead.id == ids[0]).values(full_name=HOSTILE))
    db.session.commit()
    broadcast = make_broadcast(org)
    assert broadcasts.send_now(db.session, broadcast, actor_id=None, now=START) == count
    db.session.commit()
    assert process_due(app, now=START, test_mode=False).sent == count
    assert smtp_sink.wait_for(count)
    received = next(r for r in smtp_sink.messages if r.rcpt_tos == ["contact0@example.com"])
    parsed = message_from_bytes(received.content, policy=policy.strict)  # raises on a defect
    assert not parsed.defects and parsed.get_content_type() == "multipart/alternative"
    parts = [part for part in parsed.walk() if not part.is_multipart()]
    return parsed, parts


def test_it_frames_the_html_part_in_the_brand_after_the_text_part(app, alice_org, smtp_sink):
    brand(alice_org, postal_address="1 Bread Lane\nLeeds LS1 1AA")
    parsed, parts = sent_parts(app, alice_org, smtp_sink)
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    text, html = (p.get_content() for p in parts)
    assert "#7c2d12" in html and "max-width: 600px" in html and 'role="presentation"' in html
    assert "<script" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<script>alert("x")</script>' in text  # the text part is plain text, as written
    footer = re.search(r'<td class="foot".*?</td>', html, re.S).group(0)
    unsubscribe = parsed["List-Unsubscribe"].strip("<>")
    assert f'href="{unsubscribe}"' in footer and "1 Bread Lane<br>Leeds LS1 1AA" in footer
    assert "<style>" not in html.split("</head>")[1]  # every style inlined in the body
    public = app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000"
    for url in re.findall(r'src="([^"]+)"', html):
        assert url.startswith(public.rstrip("/") + "/")  # only our pixel (and own logo)


def test_a_workspace_without_a_brand_gets_the_default_colours(app, alice_org, smtp_sink):
    _parsed, parts = sent_parts(app, alice_org, smtp_sink)
    assert "#1d4ed8" in parts[1].get_content()


def test_mail_comes_from_the_sender_given_in_the_wizard(app, alice_org, smtp_sink):
    alice_org.email_from_name, alice_org.email_from_address = "Alice’s Bakery", "news@alice.example"
    db.session.commit()
    parsed, _parts = sent_parts(app, alice_org, smtp_sink)
    assert parsed["From"] == "Alice’s Bakery <news@alice.example>"
