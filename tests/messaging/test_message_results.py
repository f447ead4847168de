"""Each message's figures (sent, opened, clicked, converted) on the sequence page, counted
per message from its sends, test sends left out, and scoped to the workspace."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import START, login
from tests.ops.test_alerts import add_sends
from webapp.core.extensions import db
from webapp.models.sequence import Enrollment, Send
from webapp.services.messaging import message_results


def test_each_message_counts_its_own_sends(client, alice, alice_org, charlie):
    add_sends(alice_org, ["sent", "delivered", "failed"])
    sends = db.session.scalars(select(Send).order_by(Send.step_id)).all()
    for send in sends:
        send.sent_at = START - timedelta(hours=2)
    sends[0].opens, sends[0].clicks = 3, 1
    sends[1].opens = 1
    enrollment = db.session.get(Enrollment, sends[0].enrollment_id)
    enrollment.converted_at = START - timedelta(hours=1)  # after both sent messages
    db.session.commit()
    campaign_id = sends[0].campaign_id

    results = message_results(db.session, alice_org.id, campaign_id)
    figures = [(r.sent, r.opened, r.clicked, r.converted) for r in results]
    assert figures == [(1, 1, 1, 1), (1, 1, 0, 1), (0, 0, 0, 0)]  # the failed one sent nothing
    assert message_results(db.session, alice_org.id + 1000, campaign_id) == []

    login(client, alice)
    html = client.get(f"/automation/{campaign_id}").get_data(as_text=True)
    table = html.split('id="message-results"')[1].split("</article>")[0]
    assert "How each message did" in html and "100 %" in table and table.count("<tr>") == 4
