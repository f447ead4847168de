"""The chat pages: inbox filters, pagination and empty state, a conversation's resolve, the
intents page with its figures, the intent editor's field errors, the settings' script tag,
and another workspace's conversation or intent answering 404."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from tests.chat.helpers import chat_on
from tests.conftest import csrf_token, login, org_of
from webapp.core.extensions import db
from webapp.models import ChatIntent, Conversation
from webapp.services.chat import channels


def visit(key: str, text: str, clock) -> Conversation:
    turn = channels.widget_say(db.session, key, None, text, now=clock())
    db.session.commit()
    return db.session.get(Conversation, turn.messages[0].conversation_id)


def test_inbox_filters_paginates_and_says_what_to_do_when_empty(
    app, client, alice, alice_org, clock
):
    login(client, alice)
    empty = client.get("/chat/").get_data(as_text=True)
    assert "No conversations" in empty and "/chat/settings" in empty
    settings = chat_on(alice_org.id, clock())
    escalated = visit(settings.widget_key, "I want to speak to a person", clock)
    visit(settings.widget_key, "what are your opening hours", clock)
    page = client.get("/chat/?state=escalated").get_data(as_text=True)
    assert f"chat-{escalated.id}" in page and page.count('id="chat-') == 1
    assert "asked for a person" in page
    for _ in range(25):
        visit(settings.widget_key, "hello", clock)
    first = client.get("/chat/?state=open").get_data(as_text=True)
    assert first.count('id="chat-') == 25 and 'rel="next"' in first
    second = client.get("/chat/?state=open&page=2").get_data(as_text=True)
    assert second.count('id="chat-') == 1
    assert "No resolved conversations" in client.get("/chat/?state=resolved").get_data(as_text=True)


def test_resolving_closes_the_conversation_and_counts_per_intent(
    app, client, alice, alice_org, clock
):
    settings = chat_on(alice_org.id, clock())
    handled = visit(settings.widget_key, "what are your opening hours", clock)
    login(client, alice)
    path = f"/chat/conversations/{handled.id}"
    done = client.post(f"{path}/resolve", data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Conversation, handled.id).chat_state == "resolved"
    visit(settings.widget_key, "can I talk to a human", clock)
    page = client.get("/chat/intents").get_data(as_text=True)
    row = page.split(">opening_hours<", 1)[1].split("</tr>", 1)[0]
    assert "100 %" in row  # resolved by the bot
    human = page.split(">human<", 1)[1].split("</tr>", 1)[0]
    assert human.count("100 %") == 1 and "0 %" in human  # escalated, never resolved


def test_the_intent_editor_shows_field_errors_and_saves(app, client, alice, alice_org, clock):
    chat_on(alice_org.id, clock())
    login(client, alice)
    token = csrf_token(client, "/chat/intents/new")
    bad = client.post(
        "/chat/intents/new",
        data={"csrf_token": token, "name": "greeting", "training_phrases": "one",
              "responses": "Hi {nonsense}", "actions": ["start_workflow"], "workflow_id": "0"},
    )  # fmt: skip
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in ("Another intent has this name", "at least 3 phrases", "Unknown fact",
                    "Choose the workflow"):  # fmt: skip
        assert message in html
    assert 'aria-describedby="name-error"' in html
    good = client.post(
        "/chat/intents/new",
        data={"csrf_token": token, "name": "parking", "training_phrases": "park\nparking\ncar park",
              "responses": "Park behind the shop; call {phone} if full."},
    )  # fmt: skip
    assert good.status_code == 302
    assert db.session.scalar(select(ChatIntent.id).where(ChatIntent.name == "parking"))


def test_settings_give_the_script_tag(app, client, alice, alice_org, clock):
    settings = chat_on(alice_org.id, clock())
    login(client, alice)
    html = unescape(client.get("/chat/settings").get_data(as_text=True))
    assert "/static/chat/widget.js" in html and f'data-chat="{settings.widget_key}"' in html
    assert client.get("/static/chat/widget.js").status_code == 200


def test_another_workspace_sees_nothing(app, client, alice_org, charlie, clock):
    settings = chat_on(alice_org.id, clock())
    conversation = visit(settings.widget_key, "hello", clock)
    intent = db.session.scalars(select(ChatIntent).where(ChatIntent.org_id == alice_org.id)).first()
    chat_on(org_of(charlie).id, clock())
    login(client, charlie)
    assert client.get(f"/chat/conversations/{conversation.id}").status_code == 404
    assert client.get(f"/chat/intents/{intent.id}").status_code == 404
    token = csrf_token(client, "/chat/")
    assert (
        client.post(
            f"/chat/conversations/{conversation.id}/resolve", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert f"chat-{conversation.id}" not in client.get("/chat/").get_data(as_text=True)
