"""The abandoned-cart workflow (its template): an order before the timeout sends nothing;
no order sends the reminder, then the discount; an order at the very instant of the
timeout lets exactly one branch run."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.conftest import START
from tests.workflows.helpers import live, log_of, make_lead, record_event, tick
from webapp.core.extensions import db
from webapp.models import OutboxMessage, WorkflowExecution
from webapp.models.sequence import Send
from webapp.services.messaging.dispatch import process_due
from webapp.services.workflows.engine import resolve
from webapp.services.workflows.templates import ABANDONED_CART


def _subjects(lead) -> list[str]:
    rows = db.session.execute(
        select(Send.subject, Send.step_id, Send.status)
        .where(Send.lead_id == lead.id)
        .order_by(Send.id)
    ).all()
    from webapp.models.sequence import SequenceStep

    return [db.session.get(SequenceStep, step_id).subject for _s, step_id, _st in rows]


def _start(org, clock, cart: str = "c1"):
    workflow = live(org.id, ABANDONED_CART, now=clock())
    ana = make_lead(org.id, "Ana Shopper")
    record_event(org.id, ana.id, "cart.abandoned", clock(), cart_id=cart, total=42)
    tick(clock)
    execution = db.session.scalar(
        select(WorkflowExecution).where(WorkflowExecution.lead_id == ana.id)
    )
    assert execution.status == "waiting" and execution.waiting_step == "wait_for_order"
    return workflow, ana, execution


def test_an_order_before_the_timeout_sends_no_reminder(alice_org, clock):
    _wf, ana, execution = _start(alice_org, clock)
    clock.advance(hours=1)
    record_event(alice_org.id, ana.id, "order.placed", clock(), cart_id="other")  # another cart
    tick(clock)
    assert db.session.get(WorkflowExecution, execution.id).status == "waiting"
    record_event(alice_org.id, ana.id, "order.placed", clock(), cart_id="c1")
    tick(clock)
    clock.advance(hours=30)
    tick(clock)
    execution = db.session.get(WorkflowExecution, execution.id)
    assert execution.status == "completed"
    assert _subjects(ana) == []
    ((step, outcome, reason),) = log_of(execution)
    assert step == "wait_for_order" and "order.placed arrived" in reason and "on_event" in reason


def test_without_an_order_the_reminder_then_the_discount_go_out(app, alice_org, clock):
    _wf, ana, execution = _start(alice_org, clock)
    clock.advance(hours=4, seconds=1)
    tick(clock)
    assert _subjects(ana) == ["You left something in your basket"]
    assert db.session.get(WorkflowExecution, execution.id).waiting_step == "wait_after_reminder"
    clock.advance(hours=24, seconds=1)
    tick(clock)
    assert _subjects(ana) == ["You left something in your basket", "10% off to finish your order"]
    execution = db.session.get(WorkflowExecution, execution.id)
    assert execution.status == "completed"
    assert [s for s, _o, _r in log_of(execution)] == [
        "wait_for_order",
        "reminder",
        "wait_after_reminder",
        "discount",
    ]
    # The one send path: the sequence dispatcher sends them (here to the outbox).
    db.session.commit()
    process_due(app, now=clock())
    db.session.commit()
    sent = db.session.scalars(select(OutboxMessage.subject).order_by(OutboxMessage.id)).all()
    assert "10% off to finish your order" in sent and "You left something in your basket" in sent


def test_an_order_at_the_instant_of_the_timeout_lets_one_branch_run(alice_org, clock):
    _wf, ana, execution = _start(alice_org, clock)
    clock.advance(hours=4)  # the timeout is due now, and the order arrives now
    record_event(alice_org.id, ana.id, "order.placed", clock(), cart_id="c1")
    tick(clock)
    clock.advance(hours=48)
    tick(clock)
    execution = db.session.get(WorkflowExecution, execution.id)
    assert execution.status == "completed"
    assert _subjects(ana) == []
    assert len(log_of(execution)) == 1


def test_the_timeout_first_then_the_order_resolves_the_next_wait_not_the_first(alice_org, clock):
    _wf, ana, execution = _start(alice_org, clock)
    clock.advance(hours=4)
    tick(clock)  # the timeout won: the reminder is queued
    record_event(alice_org.id, ana.id, "order.placed", clock(), cart_id="c1")
    tick(clock)
    execution = db.session.get(WorkflowExecution, execution.id)
    assert execution.status == "completed"
    assert _subjects(ana) == ["You left something in your basket"]
    reasons = dict((s, r) for s, _o, r in log_of(execution))
    assert "on_timeout" in reasons["wait_for_order"] and "arrived" in reasons["wait_after_reminder"]


def test_one_conditional_update_decides_between_event_and_timeout(alice_org, clock):
    _wf, _ana, execution = _start(alice_org, clock)
    first = resolve(db.session, execution.id, "wait_for_order", "event:1", clock())
    second = resolve(db.session, execution.id, "wait_for_order", "timeout", clock())
    assert (first, second) == (True, False)
    db.session.rollback()


def test_racing_threads_let_exactly_one_branch_run(app, alice_org, clock):
    """The event's receiver and the timeout's job, started together on two connections."""
    _wf, ana, execution = _start(alice_org, clock)
    clock.advance(hours=4)
    org_id, lead_id, at = alice_org.id, ana.id, clock()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def order() -> None:
        try:
            with app.app_context():
                barrier.wait()
                record_event(org_id, lead_id, "order.placed", at, cart_id="c1")
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    def timeout() -> None:
        try:
            with app.app_context():
                barrier.wait()
                tick(clock)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=order), threading.Thread(target=timeout)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    tick(clock)
    first = [
        r
        for s, _o, r in log_of(db.session.get(WorkflowExecution, execution.id))
        if s == "wait_for_order"
    ]
    assert len(first) == 1
    if "on_event" in first[0]:
        assert _subjects(ana) == []
    else:
        assert _subjects(ana) == ["You left something in your basket"]
    total = db.session.scalar(select(func.count()).select_from(Send).where(Send.lead_id == ana.id))
    assert total <= 1
    assert START  # the clock starts at the shared START
