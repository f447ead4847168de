"""Settings → Suppressed addresses, and the contact page saying why nothing is sent."""

from __future__ import annotations

import re

from tests.conftest import login
from webapp.core.extensions import db
from webapp.services.leads.capture import capture_lead
from webapp.services.suppression import blocked, suppress


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_the_empty_list_says_what_lands_there(client, alice):
    login(client, alice)
    html = client.get("/settings/suppressed").get_data(as_text=True)
    assert "No address is suppressed yet" in html
    assert "bounced" in html and "complained" in html


def test_adding_by_hand_shows_field_errors_and_then_lists_it(client, alice, alice_org):
    login(client, alice)
    page = client.get("/settings/suppressed").get_data(as_text=True)
    token = csrf_of(page)
    bad = client.post("/settings/suppressed", data={"csrf_token": token, "channel": "email",
                                                    "address": "no-at-sign"})  # fmt: skip
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'aria-describedby="address-error"' in html and "Invalid email address" in html
    ok = client.post("/settings/suppressed", data={"csrf_token": token, "channel": "sms",
                                                   "address": "+1 415 555 2671", "note": "asked"})  # fmt: skip
    assert ok.status_code == 302
    assert blocked(db.session, alice_org.id, "sms", "+14155552671") == "manual"
    listed = client.get("/settings/suppressed?q=4155").get_data(as_text=True)
    assert "+14155552671" in listed and "Added by hand" in listed
    csv_text = client.get("/settings/suppressed.csv").get_data(as_text=True)
    assert "sms,'+14155552671,manual,asked,manual," in csv_text  # as the lead export


def test_a_complaint_needs_the_box_ticked_and_other_workspaces_get_404(
    client, alice, alice_org, charlie, clock
):
    row = suppress(db.session, alice_org.id, "email", "dana@example.org", reason="complaint",
                   now=clock())  # fmt: skip
    db.session.commit()
    login(client, charlie)
    page = client.get("/settings/suppressed").get_data(as_text=True)
    assert "dana@example.org" not in page
    token = csrf_of(page)
    assert client.post(f"/settings/suppressed/{row.id}/lift",
                       data={"csrf_token": token, "confirm": "y"}).status_code == 404  # fmt: skip
    client.post("/logout", data={"csrf_token": token})
    login(client, alice)
    page = client.get("/settings/suppressed").get_data(as_text=True)
    token = csrf_of(page)
    client.post(f"/settings/suppressed/{row.id}/lift", data={"csrf_token": token})
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") == "complaint"
    client.post(f"/settings/suppressed/{row.id}/lift", data={"csrf_token": token, "confirm": "y"})
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") is None


def test_the_contact_page_says_which_channel_is_suppressed_and_why(client, alice, alice_org, clock):
    lead, _ = capture_lead(db.session, alice_org.id, {"full_name": "Dana", "email": "dana@example.org"},
                           source="manual", now=clock())  # fmt: skip
    suppress(db.session, alice_org.id, "email", "dana@example.org", reason="hard_bounce",
             now=clock(), detail="550 5.1.1 user unknown", source="smtp")  # fmt: skip
    db.session.commit()
    login(client, alice)
    html = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Email suppressed" in html and "the address bounced" in html and "550 5.1.1" in html


def test_the_bounce_mailbox_is_saved_encrypted_and_tested(client, alice, alice_org, bob, pop3):
    from webapp.models import IntegrationCredential

    login(client, alice)
    page = client.get("/settings/suppressed/mailbox").get_data(as_text=True)
    assert "Not set up" in page
    token = csrf_of(page)
    bad = client.post("/settings/suppressed/mailbox", data={"csrf_token": token,
                      "address": "bounces+x@shop.example", "host": "https://pop", "port": "995",
                      "username": "bounces"})  # fmt: skip
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "without a +tag" in html and "only the host name" in html
    no_password = client.post("/settings/suppressed/mailbox", data={"csrf_token": token,
                              "address": "bounces@shop.example", "host": "127.0.0.1",
                              "port": str(pop3.port), "username": "bounces"})  # fmt: skip
    assert no_password.status_code == 422
    assert "Enter the mailbox&#39;s password." in no_password.get_data(as_text=True)
    saved = client.post("/settings/suppressed/mailbox", data={"csrf_token": token,
                        "address": "bounces@shop.example", "host": "127.0.0.1",
                        "port": str(pop3.port), "username": "bounces", "password": "s3cret"})  # fmt: skip
    assert saved.status_code == 302
    row = db.session.query(IntegrationCredential).filter_by(provider="bounces").one()
    assert "s3cret" not in row.ciphertext and row.hint["password"] == "••••"
    tested = client.post("/settings/suppressed/mailbox/test", data={"csrf_token": token})
    assert "Connection works." in tested.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    login(client, bob)  # staff: sees, cannot change
    assert client.post(
        "/settings/suppressed/mailbox/test", data={"csrf_token": token}
    ).status_code in (400, 403)


def test_webhook_secrets_are_saved_with_field_errors_and_the_urls_shown(client, alice, alice_org):
    from webapp.services.suppression import webhook_hint

    login(client, alice)
    page = client.get("/settings/suppressed/mailbox").get_data(as_text=True)
    assert f"/webhooks/email/mailgun/{alice_org.id}" in page
    token = csrf_of(page)
    bad = client.post("/settings/suppressed/webhooks", data={"csrf_token": token,
                      "ses_topic_arn": "bounces"})  # fmt: skip
    assert bad.status_code == 422 and "topic&#39;s ARN" in bad.get_data(as_text=True)
    ok = client.post("/settings/suppressed/webhooks", data={"csrf_token": token,
                     "mailgun_signing_key": "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
                     "ses_topic_arn": "arn:aws:sns:eu-west-1:123456789012:bounces"})  # fmt: skip
    assert ok.status_code == 302
    hint = webhook_hint(db.session, alice_org.id)
    assert hint["mailgun_signing_key"] == "••••"  # masked: not one character shown
    assert hint["ses_topic_arn"].endswith(":bounces")
