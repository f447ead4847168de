"""The coach pages: settings (owner edits, staff reads, 422 with field errors), the
conversations list (empty state, pages) and one conversation (messages and what is next)."""

from __future__ import annotations

import time

from markupsafe import escape
from sqlalchemy import select

from tests.conftest import csrf_token, login
from webapp import queue
from webapp.core.extensions import db
from webapp.models import CoachFollowup, CoachSettings, Conversation, ConversationMessage
from webapp.models.queue import QueuedJob
from webapp.services.coach import audience as coach
from webapp.services.leads.capture import capture_lead

GOOD = {
    "enabled": "y",
    "audience": "all_contacts",
    "goal": "Book a first tasting visit",
    "frequency": "three_per_week",
    "window_start": "10:00",
    "window_end": "17:30",
    "tone": "warm",
    "language": "en",
    "auto_reply": "y",
}


def coached(org_id: int, clock, count: int = 1) -> list[int]:
    """The workspace's coach on, `count` contacts enrolled; their conversation ids. Ends with no
    transaction open (a request of the test client shares the test's session)."""
    coach.save_settings(
        db.session,
        org_id,
        {**coach.DEFAULTS, "goal": "Book a first tasting visit", "enabled": True},
        actor_id=None,
        now=clock(),
    )
    for n in range(count):
        capture_lead(
            db.session,
            org_id,
            # London, where the tests' clock is daytime (a +1 415 number alone: 02:00 in LA)
            {
                "full_name": f"Dana{n} Diaz",
                "phone": f"+1415555{2700 + n}",
                "timezone": "Europe/London",
                "whatsapp_consent": "yes",
            },
            source="manual",
            now=clock(),
        )
    coach.schedule_followups(db.session, org_id, now=clock())
    db.session.commit()
    ids = list(
        db.session.scalars(
            select(Conversation.id).where(Conversation.org_id == org_id).order_by(Conversation.id)
        )
    )
    db.session.commit()
    return ids


def test_the_owner_saves_the_settings(app, client, alice, alice_org):
    login(client, alice)
    page = client.get("/coach/settings")
    assert page.status_code == 200 and 'type="time"' in page.get_data(as_text=True)
    response = client.post(
        "/coach/settings", data={**GOOD, "csrf_token": csrf_token(client, "/coach/settings")}
    )
    assert response.status_code == 303
    db.session.rollback()
    saved = db.session.scalars(
        select(CoachSettings).where(CoachSettings.org_id == alice_org.id)
    ).one()
    assert (
        saved.enabled,
        saved.auto_reply,
        saved.frequency,
        saved.window_start,
        saved.window_end,
    ) == (True, True, "three_per_week", "10:00", "17:30")
    assert "Coach on" in client.get("/coach/").get_data(as_text=True)


def test_bad_values_answer_422_with_the_field_errors(app, client, alice):
    login(client, alice)
    token = csrf_token(client, "/coach/settings")
    response = client.post(
        "/coach/settings",
        data={
            **GOOD,
            "window_start": "18:00",
            "window_end": "09:00",
            "goal": "",
            "csrf_token": token,
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The window must end after it starts" in html and "Say in a few words" in html
    assert 'aria-invalid="true"' in html
    assert (
        client.post(
            "/coach/settings", data={**GOOD, "frequency": "hourly", "csrf_token": token}
        ).status_code
        == 422
    )
    db.session.rollback()
    assert db.session.scalars(select(CoachSettings)).first() is None


def test_staff_sees_the_settings_but_cannot_change_them(app, client, bob, alice_org, clock):
    coached(alice_org.id, clock)
    login(client, bob)
    page = client.get("/coach/settings").get_data(as_text=True)
    assert (
        "Only an owner of the workspace can change the coach." in page
        and "Book a first tasting visit" in page
    )
    assert (
        'id="coach-settings"' in page and '<form method="post" action="/coach/settings"' not in page
    )
    token = csrf_token(client, "/coach/")
    assert client.post("/coach/settings", data={**GOOD, "csrf_token": token}).status_code == 403


def test_the_empty_list_says_what_to_do_next(app, client, alice):
    login(client, alice)
    html = client.get("/coach/").get_data(as_text=True)
    assert "No conversations yet" in html and "Open the coach settings" in html
    assert 'href="/coach/"' in client.get("/").get_data(as_text=True)  # in the navigation


def test_the_list_and_a_conversation(app, client, alice, alice_org, clock):
    conversation_id = coached(alice_org.id, clock)[0]
    coach.process_due(app, now=clock(), deadline=time.monotonic() + 30)
    db.session.commit()
    login(client, alice)
    html = client.get("/coach/").get_data(as_text=True)
    assert "Dana0 Diaz" in html and "Book a first tasting visit"[:10].lower() in html.lower()
    page = client.get(f"/coach/conversations/{conversation_id}").get_data(as_text=True)
    body = db.session.scalars(select(ConversationMessage)).one().body
    assert (
        str(escape(body)) in page
        and "bubble-out" in page
        and "written by the built-in writer" in page
    )
    assert "Follow-up due" in page  # the next one, by frequency


def test_the_list_is_paginated(app, client, alice, alice_org, clock):
    coached(alice_org.id, clock, count=27)
    login(client, alice)
    first = client.get("/coach/").get_data(as_text=True)
    second = client.get("/coach/?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Older →" in first and first.count('id="conversation-') == 25
    assert second.startswith('\n<section id="coach-conversations"') or second.lstrip().startswith(
        "<section"
    )
    assert second.count('id="conversation-') == 2


def test_send_now_sends_the_next_followup(app, client, bob, alice_org, clock):
    conversation_id = coached(alice_org.id, clock)[0]
    db.session.execute(CoachFollowup.__table__.update().values(due_at=clock().replace(year=2027)))
    db.session.commit()
    login(client, bob)
    token = csrf_token(client, f"/coach/conversations/{conversation_id}")
    response = client.post(
        f"/coach/conversations/{conversation_id}/send-now", data={"csrf_token": token}
    )
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.scalars(select(ConversationMessage)).one().direction == "out"


def test_another_workspace_sees_nothing(app, client, alice_org, charlie, clock):
    conversation_id = coached(alice_org.id, clock)[0]
    login(client, charlie)
    assert client.get(f"/coach/conversations/{conversation_id}").status_code == 404
    assert "Dana0" not in client.get("/coach/").get_data(as_text=True)
    token = csrf_token(client, "/coach/")
    assert (
        client.post(
            f"/coach/conversations/{conversation_id}/send-now", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_send_now_while_a_worker_sends_it_changes_nothing(app, client, bob, alice_org, clock):
    conversation_id = coached(alice_org.id, clock)[0]
    [job] = queue.claim(db.session, "busy-worker", now=clock())  # a worker is sending it
    db.session.commit()
    login(client, bob)
    token = csrf_token(client, f"/coach/conversations/{conversation_id}")
    response = client.post(
        f"/coach/conversations/{conversation_id}/send-now", data={"csrf_token": token}
    )
    assert response.status_code == 303
    page = client.get(f"/coach/conversations/{conversation_id}").get_data(as_text=True)
    assert "a message is being sent" in page
    db.session.rollback()
    assert db.session.scalars(select(ConversationMessage)).all() == []
    assert db.session.get(QueuedJob, job.id).lease_owner == "busy-worker"
