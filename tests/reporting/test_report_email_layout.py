"""The weekly report email: the text part first, then the HTML part in the workspace's email
frame and brand colours, with the owner's name escaped, from the workspace's sender."""

from __future__ import annotations

from email import message_from_bytes, policy

from jobs.runner import run_job
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from tests.reporting.test_reports import WEEK, add_metric, make_campaign
from tests.reporting.test_weekly_report_job import MONDAY_9, autopilot
from webapp.core.extensions import db
from webapp.models import BrandProfile

smtp_sink = smtp_server.smtp_sink  # the fixture


def test_the_report_email_is_framed_in_the_brand(app, alice, alice_org, clock, smtp_sink):
    use_smtp(app, smtp_sink)
    alice.name = "<i>Alice</i>"
    alice_org.email_from_name, alice_org.email_from_address = "Alice Bakes", "hi@alice.example"
    db.session.add(BrandProfile(org_id=alice_org.id, primary_color="#0f766e",
                                accent_color="#f59e0b", updated_at=MONDAY_9))  # fmt: skip
    autopilot(alice_org)
    add_metric(make_campaign(alice_org, "meta_ads"), WEEK, spend="10.00", revenue="20.00")
    db.session.commit()
    clock.set(MONDAY_9)
    assert run_job(app, "weekly_report").status == "succeeded"
    assert smtp_sink.wait_for(1)
    parsed = message_from_bytes(smtp_sink.messages[0].content, policy=policy.strict)
    parts = [part for part in parsed.walk() if not part.is_multipart()]
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    html = parts[1].get_content()
    assert "background: #0f766e" in html and "max-width: 600px" in html
    assert "Hello &lt;i&gt;Alice&lt;/i&gt;," in html and "<i>" not in html
    assert 'class="button" style="display: inline-block; background: #f59e0b;' in html
    assert "because you own the workspace Alice Bakes" in html
    assert parsed["From"] == "Alice Bakes <hi@alice.example>"
