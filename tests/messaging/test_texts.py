"""Texts carriers accept: quiet hours in the contact's zone, the opt-out footer of the first
text, and WhatsApp's 24-hour window (issue 14, items 10 and 11), through the real Twilio
client against the local fake Twilio server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import START
from tests.fakes import twilio_server
from tests.fakes.twilio_server import use_twilio
from tests.messaging.factories import WELCOME, job_of, make_contact, make_sequence, sends_of
from webapp.core.extensions import db
from webapp.models import Conversation
from webapp.services.messaging.dispatch import process_due

fake_twilio = twilio_server.fake_twilio
SMS = [dict(WELCOME[2], delay_value=0)]
TWO_SMS = [dict(WELCOME[2], delay_value=0), dict(WELCOME[2], body="See you soon!", delay_value=1)]
WHATSAPP = [dict(WELCOME[2], channel="whatsapp", delay_value=0)]
LOS_ANGELES = "+14155552671"
TEMPLATE = "HX" + "0123456789abcdef" * 2
DAYTIME_LA = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles (PST, UTC-8)


def _bodies(server) -> list[str]:
    return [r.form.get("Body", "") for r in server.posted()]


# --- 10. quiet hours ---------------------------------------------------------------------------


def test_it_infers_the_zone_from_the_number_and_picks_one_of_several_deterministically():
    from webapp.services.messaging.quiet_hours import contact_zone, zones_for_number

    assert contact_zone(None, LOS_ANGELES, "Europe/London") == "America/Los_Angeles"
    assert contact_zone("Asia/Tokyo", LOS_ANGELES, "Europe/London") == "Asia/Tokyo"
    toll_free = "+18005550123"  # every US zone
    assert len(zones_for_number(toll_free)) > 1
    assert contact_zone(None, toll_free, "America/Chicago") == "America/Chicago"
    assert contact_zone(None, toll_free, "Europe/London") == sorted(zones_for_number(toll_free))[0]
    assert contact_zone(None, "not a number", "Europe/Berlin") == "Europe/Berlin"


def test_it_holds_a_text_due_at_night_in_the_contacts_zone_until_8(app, alice_org, fake_twilio):
    use_twilio(app, fake_twilio)
    campaign = make_sequence(alice_org, steps=SMS)  # any time, in the workspace's zone (London)
    make_contact(alice_org, phone=LOS_ANGELES, name="Dana")  # no zone of its own
    db.session.commit()

    process_due(app, now=START)  # 10:00 in London, 02:00 in Los Angeles

    assert fake_twilio.posted() == []
    job = job_of(sends_of(campaign)[0])
    assert job.status == "pending"
    assert job.run_at.astimezone(UTC) == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 08:00 PST
    assert "Held until 08:00 in the contact's time zone (America/Los_Angeles)" in job.last_error

    db.session.commit()  # end the read (SQLite keeps its snapshot until then)
    process_due(app, now=datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    assert len(fake_twilio.posted()) == 1
    assert sends_of(campaign)[0].status == "sent"


def test_the_held_reason_shows_on_the_waiting_message(app, client, alice, alice_org, fake_twilio):
    from tests.conftest import login

    use_twilio(app, fake_twilio)
    campaign = make_sequence(alice_org, steps=SMS)
    make_contact(alice_org, phone=LOS_ANGELES, name="Dana")
    process_due(app, now=START)
    login(client, alice)

    page = client.get(f"/automation/{campaign.id}").get_data(as_text=True)

    assert "Held until 08:00 in the contact&#39;s time zone (America/Los_Angeles)" in page
    from tests.messaging.test_automation_api import key_for

    api = client.get(
        f"/api/v1/campaigns/{campaign.id}/automation?action=jobs", headers=key_for(alice)
    )
    assert "(America/Los_Angeles)" in api.json["jobs"][0]["held"]


def test_a_workspace_may_narrow_the_texting_hours_never_widen_them(
    app, client, alice, alice_org, fake_twilio
):
    from tests.conftest import csrf_token, login
    from webapp.services.messaging.quiet_hours import check_texting_hours

    assert check_texting_hours("07:30", "21:00")
    assert check_texting_hours("08:00", "22:00")
    assert check_texting_hours("12:00", "10:00")
    assert check_texting_hours("09:00", "20:00") is None
    login(client, alice)
    form = {"name": "Alice Bakes", "timezone": "Europe/London", "texting_from": "07:00"}
    answer = client.post("/settings", data={**form, "csrf_token": csrf_token(client, "/settings")})
    assert answer.status_code == 422
    assert "before 08:00" in answer.get_data(as_text=True)
    form.update(texting_from="10:00", texting_until="20:00")
    answer = client.post("/settings", data={**form, "csrf_token": csrf_token(client, "/settings")})
    assert answer.status_code == 302

    use_twilio(app, fake_twilio)
    campaign = make_sequence(alice_org, steps=SMS)
    make_contact(alice_org, phone=LOS_ANGELES, name="Dana")
    process_due(app, now=DAYTIME_LA)  # 10:00 there is allowed…
    assert len(fake_twilio.posted()) == 1
    db.session.commit()
    make_contact(alice_org, phone="+14155552672", name="Eve")
    process_due(app, now=DAYTIME_LA - timedelta(hours=1))  # …09:00 is not, for this workspace
    job = job_of(sends_of(campaign)[1])
    assert job.run_at.astimezone(UTC) == DAYTIME_LA
    assert "Held until 10:00" in job.last_error


# --- 11. the opt-out footer ---------------------------------------------------------------------


def test_the_first_text_ends_with_the_opt_out_footer_and_later_ones_do_not(
    app, alice_org, fake_twilio
):
    use_twilio(app, fake_twilio)
    make_sequence(alice_org, steps=TWO_SMS)
    make_contact(alice_org, phone=LOS_ANGELES, name="Dana")
    make_contact(alice_org, phone="+4915123456789", name="Jonas")  # Germany

    process_due(app, now=DAYTIME_LA)
    process_due(app, now=DAYTIME_LA + timedelta(days=1, minutes=1))

    bodies = _bodies(fake_twilio)
    assert len(bodies) == 4
    firsts = [b for b in bodies if "10% off" in b]
    assert any(b.endswith("\n\nReply STOP to opt out") for b in firsts)
    assert any(b.endswith("\n\nAntworten Sie STOP zum Abmelden") for b in firsts)
    assert [b for b in bodies if "See you soon" in b] == ["See you soon!", "See you soon!"]


def test_the_segment_preview_counts_the_footer_and_says_so():
    from decimal import Decimal

    from webapp.services.messaging.sms_size import estimate_sms

    text = "x" * 150  # one segment alone, two with the footer
    estimate = estimate_sms(text, "Alice Bakes", Decimal("0.0079"))
    assert estimate.size.segments == 1
    assert estimate.first_size.segments == 2
    assert estimate.first_size.characters == 150 + len("\n\nReply STOP to opt out")
    said = estimate_sms("Sale today! Text STOP to opt out", "Alice Bakes", Decimal("0.0079"))
    assert said.first_size == said.size  # it already says how to stop: no second footer


def test_the_step_editor_preview_says_the_footer_is_added_on_the_first_text(client, alice):
    from tests.conftest import csrf_token, login

    login(client, alice)
    form = {"channel": "sms", "body": "x" * 150, "csrf_token": csrf_token(client, "/automation")}
    text = client.post("/automation/sms-size", data=form).get_data(as_text=True)
    assert "1 SMS segment" in text
    assert "first text ends with “Reply STOP to opt out”" in text
    assert "<strong>2 segments</strong> (1 more)" in text


# --- 11. WhatsApp's 24-hour window --------------------------------------------------------------


def _conversation(org, lead, last_inbound_at):
    db.session.add(
        Conversation(
            org_id=org.id,
            lead_id=lead.id,
            channel="whatsapp",
            phone=lead.phone,
            last_inbound_at=last_inbound_at,
            created_at=last_inbound_at,
            updated_at=last_inbound_at,
        )
    )
    db.session.commit()


def test_whatsapp_within_24_hours_of_the_contacts_message_goes_as_text(
    app, alice_org, fake_twilio, clock
):
    clock.set(DAYTIME_LA)
    use_twilio(app, fake_twilio, TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE)
    make_sequence(alice_org, steps=WHATSAPP)
    lead = make_contact(alice_org, phone=LOS_ANGELES, name="Dana")
    _conversation(alice_org, lead, DAYTIME_LA - timedelta(hours=23))

    process_due(app, now=DAYTIME_LA)

    (posted,) = fake_twilio.posted()
    assert posted.form["To"] == f"whatsapp:{LOS_ANGELES}"
    assert "10% off" in posted.form["Body"] and "ContentSid" not in posted.form


def test_whatsapp_outside_the_window_uses_the_approved_template(app, alice_org, fake_twilio, clock):
    clock.set(DAYTIME_LA)
    use_twilio(app, fake_twilio, TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE)
    make_sequence(alice_org, steps=WHATSAPP)
    lead = make_contact(alice_org, phone=LOS_ANGELES, name="Dana Scully")
    _conversation(alice_org, lead, DAYTIME_LA - timedelta(hours=25))

    process_due(app, now=DAYTIME_LA)

    (posted,) = fake_twilio.posted()
    assert posted.form["ContentSid"] == TEMPLATE
    assert json.loads(posted.form["ContentVariables"]) == {"1": "Dana", "2": "Alice Bakes"}
    assert "Body" not in posted.form


def test_whatsapp_outside_the_window_without_a_template_is_held_with_the_reason(
    app, alice_org, fake_twilio
):
    use_twilio(app, fake_twilio)
    campaign = make_sequence(alice_org, steps=WHATSAPP)
    make_contact(alice_org, phone=LOS_ANGELES, name="Dana")  # never wrote: no session at all

    process_due(app, now=DAYTIME_LA)

    assert fake_twilio.posted() == []
    job = job_of(sends_of(campaign)[0])
    assert job.status == "pending" and job.attempts == 0
    assert "outside WhatsApp's 24-hour window and no approved template is set" in job.last_error


def test_a_coach_followup_waits_for_the_morning_in_the_contacts_zone(app, alice_org, clock):
    from tests.coach.test_coach import followups, process, switch_on
    from webapp.services.coach import audience as coach
    from webapp.services.leads.capture import capture_lead

    lead, _ = capture_lead(
        db.session,
        alice_org.id,
        {"full_name": "Dana", "phone": LOS_ANGELES, "whatsapp_consent": "yes"},
        source="manual",
        now=clock(),
    )
    lead.status = "new"
    switch_on(alice_org.id, clock, frequency="daily")  # 09:00–18:00 London: open at 10:00
    coach.schedule_followups(db.session, alice_org.id, now=clock())

    result = process(app, clock)  # 02:00 in Los Angeles

    # The coach plans in the contact's zone, and the quiet hours hold what is due at night:
    # either way nothing goes out, and the follow-up waits for the Los Angeles morning.
    assert result.sent == 0
    [waiting] = followups(lead.id)
    local = waiting.due_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert waiting.status == "pending" and 8 <= local.hour < 21, local


def test_the_template_is_set_where_whatsapp_is_configured_and_checked(
    app, client, alice, alice_org, fake_twilio, clock
):
    from tests.conftest import csrf_token, login
    from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

    use_twilio(app, fake_twilio)  # the deployment's account has no template
    login(client, alice)
    form = {
        "twilio-account_sid": ACCOUNT_SID,
        "twilio-auth_token": AUTH_TOKEN,
        "twilio-from_number": FROM_NUMBER,
        "twilio-whatsapp_template_sid": "HX123",
    }

    def save(data: dict):
        token = csrf_token(client, "/settings/integrations")
        return client.post("/settings/integrations/twilio", data={**data, "csrf_token": token})

    answer = save(form)
    assert answer.status_code == 422
    assert "A Content SID is &#34;HX&#34; followed by 32 hexadecimal" in answer.get_data(
        as_text=True
    )
    assert save({**form, "twilio-whatsapp_template_sid": TEMPLATE}).status_code == 303

    clock.set(DAYTIME_LA)
    make_sequence(alice_org, steps=WHATSAPP)
    make_contact(alice_org, phone=LOS_ANGELES, name="Dana")
    process_due(app, now=DAYTIME_LA)
    (posted,) = fake_twilio.posted()
    assert posted.form["ContentSid"] == TEMPLATE
