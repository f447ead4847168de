"""The broadcast pages: list and empty state, compose with field errors, the broadcast's
page (preview, audience count, test to yourself), schedule in the workspace zone, send now,
pause/resume/cancel, the progress partial, and another workspace's broadcasts are 404."""

from __future__ import annotations

from sqlalchemy import select

from tests.broadcasts.factories import NEWSLETTER, make_broadcast, make_contacts
from tests.conftest import csrf_token, login
from webapp.core.extensions import db
from webapp.models import ActivityLog, Broadcast, OutboxMessage


def form(client, path, **over):
    data = {**NEWSLETTER, "segment_id": "0", **over}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def test_it_shows_what_to_do_when_there_are_no_broadcasts(client, alice):
    login(client, alice)
    page = client.get("/broadcasts").get_data(as_text=True)
    assert 'id="broadcasts-empty"' in page and "Write your first broadcast" in page
    assert 'href="/broadcasts"' in client.get("/").get_data(as_text=True)  # in the nav


def test_it_refuses_a_bad_broadcast_with_field_errors_and_saves_a_good_one(client, alice):
    login(client, alice)
    bad = form(client, "/broadcasts/new", subject="", body="Hi {{nope}}")
    assert bad.status_code == 422
    assert "An email needs a subject." in bad.get_data(as_text=True)
    assert db.session.scalar(select(Broadcast.id)) is None
    good = form(client, "/broadcasts/new")
    assert good.status_code == 303
    broadcast = db.session.scalars(select(Broadcast)).one()
    assert good.headers["Location"].endswith(f"/broadcasts/{broadcast.id}")


def test_its_page_previews_counts_and_sends_a_test_to_yourself(client, alice, alice_org):
    make_contacts(alice_org, 3)
    broadcast = make_broadcast(alice_org)
    login(client, alice)
    path = f"/broadcasts/{broadcast.id}"
    page = client.get(path).get_data(as_text=True)
    assert "News for you, Contact" in page  # rendered for a real recipient
    assert 'id="audience-count"><strong>3</strong>' in page
    assert "now to 3 contacts?" in page  # the confirmation states the count
    sent = client.post(
        f"{path}/test", data={"to": alice.email, "csrf_token": csrf_token(client, path)}
    )
    assert sent.status_code == 303
    [test] = db.session.scalars(select(OutboxMessage)).all()
    assert (test.to, test.subject) == (alice.email, "[Test] News for you, Contact")
    assert broadcast.status == "draft"


def test_schedule_is_read_in_the_workspace_zone(client, alice, alice_org):
    alice_org.timezone = "Europe/Madrid"  # UTC+1 in November
    broadcast = make_broadcast(alice_org)
    login(client, alice)
    path = f"/broadcasts/{broadcast.id}"
    done = client.post(
        f"{path}/schedule",
        data={"scheduled_at": "2026-11-24T09:30", "csrf_token": csrf_token(client, path)},
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert broadcast.status == "scheduled"
    assert broadcast.scheduled_at.isoformat() == "2026-11-24T08:30:00+00:00"
    past = client.post(
        f"{path}/schedule",
        data={"scheduled_at": "2020-01-01T09:30", "csrf_token": csrf_token(client, path)},
    )
    assert past.status_code == 422 and "in the future" in past.get_data(as_text=True)


def test_send_now_pause_resume_cancel_and_the_progress_partial(client, alice, alice_org):
    make_contacts(alice_org, 3)
    broadcast = make_broadcast(alice_org)
    login(client, alice)
    path = f"/broadcasts/{broadcast.id}"
    for action, status in (("send", "sending"), ("pause", "paused"), ("resume", "sending")):
        answer = client.post(f"{path}/{action}", data={"csrf_token": csrf_token(client, path)})
        assert answer.status_code == 303
        db.session.expire_all()
        assert broadcast.status == status, action
    progress = client.get(f"{path}/progress", headers={"HX-Request": "true"})
    text = progress.get_data(as_text=True)
    assert "<html" not in text and 'hx-trigger="every 2s"' in text
    assert 'data-figure="recipients">3<' in text
    client.post(f"{path}/cancel", data={"csrf_token": csrf_token(client, path)})
    db.session.expire_all()
    assert broadcast.status == "cancelled"
    again = client.post(f"{path}/resume", data={"csrf_token": csrf_token(client, path)})
    assert again.status_code == 303  # refused with a message, not an error
    db.session.expire_all()
    assert broadcast.status == "cancelled"
    types = set(db.session.scalars(select(ActivityLog.type)))
    assert {"broadcast.started", "broadcast.paused", "broadcast.cancelled"} <= types


def test_another_workspace_s_broadcast_is_404(client, alice_org, charlie):
    broadcast = make_broadcast(alice_org)
    login(client, charlie)
    for path in ("", "/edit", "/progress"):
        assert client.get(f"/broadcasts/{broadcast.id}{path}").status_code == 404
    token = csrf_token(client, "/broadcasts")
    for action in ("send", "pause", "cancel", "test", "schedule"):
        answer = client.post(f"/broadcasts/{broadcast.id}/{action}", data={"csrf_token": token})
        assert answer.status_code == 404, action
    assert "November news" not in client.get("/broadcasts").get_data(as_text=True)
    db.session.expire_all()
    assert broadcast.status == "draft"
