"""A sequence made from an email asset sends the asset's branded HTML as its HTML part
(the brand's frame, the closing link as a button, everything typed escaped) and its plain
text as the text part, first."""

from __future__ import annotations

from email import message_from_bytes, policy

from tests.assets.conftest import run_jobs
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from tests.messaging.factories import make_contact
from webapp.core.extensions import db
from webapp.models import Asset
from webapp.services import assets
from webapp.services.marketing import brief_for
from webapp.services.messaging import sequence_lifecycle
from webapp.services.messaging.dispatch import process_due

smtp_sink = smtp_server.smtp_sink  # the fixture

BODY = (
    "Hi {{firstName|there}},\n\nOur <b>winter</b> loaves are back & warm.\n\n"
    "Order yours: https://alicebakes.example/order"
)


def test_the_asset_sequence_sends_the_assets_branded_html(app, clock, bakery, smtp_sink):
    org, camp = bakery
    asset = assets.create_asset(
        db.session, org.id, "email_sequence", {}, campaign=camp, actor_id=None, now=clock()
    )
    db.session.commit()
    run_jobs(app, clock)
    asset = db.session.get(Asset, asset.id)
    emails = assets.current(asset)["emails"]
    emails[0] = {**emails[0], "subject": "Warm bread, {{firstName|friend}}", "body": BODY}
    assert assets.edit(db.session, asset, {"emails": emails}, actor_id=None, now=clock()) == []
    assets.approve(db.session, asset, actor_id=None, now=clock())
    sequence = assets.to_sequence(db.session, asset, actor_id=None, now=clock())
    sequence_lifecycle.activate_sequence(db.session, sequence, actor_id=None, now=clock())
    db.session.commit()
    use_smtp(app, smtp_sink, EMAIL_PER_MINUTE=0)
    make_contact(org, full_name="<b>Eve</b> Smith", email="eve@example.com",
                 now=clock())  # fmt: skip
    assert process_due(app, now=clock(), test_mode=False).sent == 1
    assert smtp_sink.wait_for(1)
    parsed = message_from_bytes(smtp_sink.messages[0].content, policy=policy.strict)
    parts = [part for part in parsed.walk() if not part.is_multipart()]
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    text, html = (p.get_content() for p in parts)
    assert text.startswith("Hi <b>Eve</b>,") and "Order yours:" in text
    assert "Hi &lt;b&gt;Eve&lt;/b&gt;," in html and "<b>" not in html
    assert "Our &lt;b&gt;winter&lt;/b&gt; loaves are back &amp; warm." in html
    assert 'class="button" style="display: inline-block; background: #facc15;' in html
    assert ">Order yours</a>" in html and "background: #7c2d12" in html  # the brand's colours
    # The asset's own preview is the same frame and button.
    preview = assets.render_html({"subject": "s", "body": BODY}, brief_for(db.session, org))
    assert 'class="button" style="display: inline-block; background: #facc15;' in preview
