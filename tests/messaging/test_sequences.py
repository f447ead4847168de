"""Sequence campaigns: schedules, steps, activation and pausing (the service layer)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import START
from tests.messaging.factories import ANY_TIME, WELCOME, make_sequence
from webapp.core.extensions import db
from webapp.models import ActivityLog
from webapp.services.messaging import sequence_lifecycle, sequences
from webapp.services.messaging.sequences import SequenceError, validate_schedule


def test_it_normalises_a_schedule():
    assert validate_schedule(
        {"days": ["4", 0, 0], "start": "9:00", "end": "18:30", "timezone": " Europe/Paris "}
    ) == {
        "days": [0, 4],
        "start": "09:00",
        "end": "18:30",
        "timezone_mode": "workspace",
        "timezone": "Europe/Paris",
    }


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"days": []}, "days"),
        ({"days": [7]}, "days"),
        ({"days": ["monday"]}, "days"),
        ({"start": "25:00"}, "start"),
        ({"start": "nine"}, "start"),
        ({"start": "18:00", "end": "09:00"}, "end"),
        ({"timezone_mode": "moon"}, "timezone_mode"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_it_refuses_a_bad_schedule_naming_the_field(schedule, field):
    with pytest.raises(SequenceError) as caught:
        validate_schedule(schedule)
    assert caught.value.field == field


def test_it_creates_a_draft_and_activates_it(alice_org):
    campaign = make_sequence(alice_org, active=False)
    assert (campaign.kind, campaign.status, campaign.settings["trigger"]) == (
        "sequence",
        "draft",
        "new_contact",
    )
    assert [s.position for s in sequences.steps_of(db.session, campaign)] == [1, 2, 3]
    sequence_lifecycle.activate_sequence(db.session, campaign, actor_id=None, now=START)
    db.session.commit()
    assert campaign.status == "active"
    assert sequence_lifecycle.activated_at(campaign) == START
    assert sequences.list_sequences(db.session, alice_org.id) == [campaign]
    types = set(
        db.session.scalars(db.select(ActivityLog.type).where(ActivityLog.org_id == alice_org.id))
    )
    assert {"sequence.created", "sequence.step_added", "sequence.activated"} <= types


def test_it_refuses_to_activate_without_steps(alice_org):
    campaign = make_sequence(alice_org, steps=[], active=False)
    with pytest.raises(SequenceError, match="at least one step"):
        sequence_lifecycle.activate_sequence(db.session, campaign, actor_id=None, now=START)


def test_it_checks_steps(alice_org):
    campaign = make_sequence(alice_org, steps=[], active=False)
    good = dict(WELCOME[0])
    for change, field in (
        ({"channel": "fax"}, "channel"),
        ({"subject": ""}, "subject"),
        ({"body": "  "}, "body"),
        ({"delay_value": -1}, "delay_value"),
        ({"delay_value": "soon"}, "delay_value"),
        ({"delay_unit": "weeks"}, "delay_unit"),
        ({"body": "Hi {{favouriteColour}}"}, "body"),
    ):
        with pytest.raises(SequenceError) as caught:
            sequences.add_step(db.session, campaign, **{**good, **change}, actor_id=None, now=START)
        assert caught.value.field == field
    sms = sequences.add_step(
        db.session,
        campaign,
        channel="sms",
        subject="dropped",
        body="Hi",
        delay_value=0,
        delay_unit="minutes",
        actor_id=None,
        now=START,
    )
    assert sms.subject == ""
    with pytest.raises(SequenceError):
        sequences.add_step(
            db.session,
            campaign,
            channel="sms",
            subject="",
            body="x" * 1601,
            delay_value=0,
            delay_unit="minutes",
            actor_id=None,
            now=START,
        )


def test_it_edits_moves_and_deletes_steps(alice_org):
    campaign = make_sequence(alice_org, active=False)
    first, second, third = sequences.steps_of(db.session, campaign)
    sequences.update_step(
        db.session, second, body="Changed {{firstName}}", delay_value=2, actor_id=None, now=START
    )
    assert (second.body, second.delay_value, second.delay_unit) == (
        "Changed {{firstName}}",
        2,
        "days",
    )
    assert sequences.move_step(db.session, third, -1) is True
    assert [s.id for s in sequences.steps_of(db.session, campaign)] == [
        first.id,
        third.id,
        second.id,
    ]
    assert sequences.move_step(db.session, first, -1) is False
    assert sequences.move_step(db.session, first, 1) is True
    assert campaign.channel == "sms"  # the first step's channel
    sequences.delete_step(db.session, third, actor_id=None, now=START)
    db.session.commit()
    remaining = sequences.steps_of(db.session, campaign)
    assert [(s.id, s.position) for s in remaining] == [(first.id, 1), (second.id, 2)]
    assert campaign.channel == "email"


def test_it_pauses_and_keeps_the_original_activation_time(alice_org):
    campaign = make_sequence(alice_org, active=True)
    started = sequence_lifecycle.activated_at(campaign)
    sequence_lifecycle.pause_sequence(db.session, campaign, actor_id=None, now=START)
    assert campaign.status == "paused"
    sequence_lifecycle.activate_sequence(
        db.session, campaign, actor_id=None, now=START + timedelta(days=1)
    )
    # Re-activating starts a new enrolment period: contacts added while paused are not swept in.
    assert sequence_lifecycle.activated_at(campaign) == START + timedelta(days=1)
    assert started < sequence_lifecycle.activated_at(campaign)


def test_it_updates_name_and_schedule(alice_org):
    campaign = make_sequence(alice_org, schedule=ANY_TIME)
    sequences.update_sequence(
        db.session,
        campaign,
        name="  New   name ",
        schedule={"days": [5, 6], "start": "10:00", "end": "12:00"},
        actor_id=None,
        now=START,
    )
    assert campaign.name == "New name"
    assert campaign.settings["schedule"]["days"] == [5, 6]
    with pytest.raises(SequenceError) as caught:
        sequences.update_sequence(
            db.session, campaign, name="", schedule=ANY_TIME, actor_id=None, now=START
        )
    assert caught.value.field == "name"
