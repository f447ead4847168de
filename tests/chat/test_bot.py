"""The bot's rules on real intents and a trained classifier: answers from the workspace's
facts only, hand-over (a person asked for, a complaint, two misunderstandings), capture as a
lead with source "chat", and one workspace's intents never answering another's."""

from __future__ import annotations

from sqlalchemy import select

from tests.chat.helpers import HOURS, chat_on
from webapp.core.extensions import db
from webapp.models import ActivityLog, ChatIntent, ChatModel, Conversation, Lead
from webapp.services.chat import channels, intents
from webapp.services.chat.threads import transcript


def say(key: str, text: str, clock, token: str | None = None) -> channels.WidgetTurn:
    turn = channels.widget_say(db.session, key, token, text, now=clock())
    db.session.commit()
    return turn


def test_opening_hours_are_answered_from_the_workspace_facts(app, alice_org, clock):
    settings = chat_on(alice_org.id, clock())
    turn = say(settings.widget_key, "what are your opening hours?", clock)
    visitor, bot = turn.messages
    assert visitor.direction == "in" and bot.kind == "bot"
    assert HOURS in bot.body
    assert bot.intent == "opening_hours" and bot.confidence > 0.55


def test_a_missing_fact_hands_over_instead_of_inventing_one(app, alice_org, clock):
    settings = chat_on(alice_org.id, clock())
    settings.pricing = ""
    db.session.commit()
    turn = say(settings.widget_key, "what are your prices", clock)
    conversation = db.session.get(Conversation, turn.messages[0].conversation_id)
    assert conversation.chat_state == "escalated"
    assert conversation.escalation_reason == "missing_fact"
    assert "£" not in turn.messages[1].body


def test_responses_are_given_in_turn(app, alice_org, clock):
    settings = chat_on(alice_org.id, clock())
    first = say(settings.widget_key, "hello", clock)
    second = say(settings.widget_key, "hello", clock, first.token)
    assert first.messages[1].body != second.messages[1].body


def test_asking_for_a_person_escalates_and_the_bot_then_stays_quiet(app, alice_org, clock):
    settings = chat_on(alice_org.id, clock())
    turn = say(settings.widget_key, "can I talk to a human please", clock)
    conversation = db.session.get(Conversation, turn.messages[0].conversation_id)
    assert conversation.chat_state == "escalated"
    assert conversation.escalation_reason == "asked_for_person"
    feed = db.session.scalars(select(ActivityLog).where(ActivityLog.type == "chat.escalated"))
    assert [row.entity_id for row in feed] == [str(conversation.id)]
    quiet = say(settings.widget_key, "hello?", clock, turn.token)
    assert len(quiet.messages) == 1  # the visitor's only: a person handles it now


def test_a_complaint_escalates(app, alice_org, clock):
    settings = chat_on(alice_org.id, clock())
    turn = say(settings.widget_key, "this is unacceptable, terrible service", clock)
    conversation = db.session.get(Conversation, turn.messages[0].conversation_id)
    assert conversation.escalation_reason == "complaint"


def test_two_misunderstandings_in_a_row_escalate(app, alice_org, clock):
    settings = chat_on(alice_org.id, clock())
    first = say(settings.widget_key, "tell me a joke", clock)
    conversation = db.session.get(Conversation, first.messages[0].conversation_id)
    assert conversation.chat_state == "open"
    assert "person" in first.messages[1].body  # the hand-over is offered
    say(settings.widget_key, "what's the capital of france", clock, first.token)
    db.session.refresh(conversation)
    assert conversation.chat_state == "escalated"
    assert conversation.escalation_reason == "misunderstood"


def test_an_email_left_in_the_chat_becomes_a_lead_with_source_chat(app, alice_org, clock):
    settings = chat_on(alice_org.id, clock())
    turn = say(settings.widget_key, "my email is dana@example.com", clock)
    lead = db.session.scalars(select(Lead).where(Lead.email == "dana@example.com")).one()
    assert lead.source == "chat" and lead.org_id == alice_org.id
    conversation = db.session.get(Conversation, turn.messages[0].conversation_id)
    assert conversation.lead_id == lead.id


def test_one_workspace_intents_never_answer_another(app, alice_org, charlie, clock):
    from tests.conftest import org_of

    charlie_org = org_of(charlie)
    alice = chat_on(alice_org.id, clock())
    charlie_settings = chat_on(charlie_org.id, clock())
    # Charlie teaches his bot a new intent; Alice's bot never learns it.
    intents.save_intent(
        db.session,
        charlie_org.id,
        {
            "name": "parking",
            "training_phrases": "where can i park\nis there parking\ncar park nearby\nparking?",
            "responses": "Park behind the salon.",
            "actions": [],
        },
        intent=None,
        now=clock(),
    )
    db.session.commit()
    assert (
        "Park behind"
        in say(charlie_settings.widget_key, "where can I park", clock).messages[1].body
    )
    alice_turn = say(alice.widget_key, "where can I park", clock)
    assert alice_turn.messages[1].intent != "parking"
    assert "Park behind" not in alice_turn.messages[1].body
    models = db.session.scalars(select(ChatModel.org_id).order_by(ChatModel.org_id)).all()
    assert sorted(models) == sorted([alice_org.id, charlie_org.id])
    # Alice's cookie token opens nothing in Charlie's widget: a new conversation starts there.
    again = say(charlie_settings.widget_key, "hello", clock, alice_turn.token)
    assert again.token != alice_turn.token
    charlie_conv = db.session.get(Conversation, again.messages[0].conversation_id)
    assert charlie_conv.org_id == charlie_org.id
    assert all(m.org_id == charlie_org.id for m in transcript(db.session, charlie_conv))


def test_saving_an_intent_checks_its_fields(app, alice_org, clock):
    chat_on(alice_org.id, clock())
    try:
        intents.save_intent(
            db.session,
            alice_org.id,
            {"name": "Bad Name!", "training_phrases": "one", "responses": "Hi {price}"},
            intent=None,
            now=clock(),
        )
    except intents.IntentInvalid as exc:
        assert set(exc.errors) == {"name", "training_phrases", "responses"}
    else:
        raise AssertionError("an invalid intent was saved")
    assert db.session.scalar(select(ChatIntent.id).where(ChatIntent.name == "bad name!")) is None
