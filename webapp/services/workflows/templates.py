"""Workflows to start from: abandoned-cart recovery, customer onboarding, welcome series,
win-back and post-purchase. The copy uses the template variables the sequences know
({{firstName|friend}}, {{companyName}}…); a shop owner edits it before activating."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import Workflow
from webapp.services.workflows.manage import WorkflowError, create_workflow


def _email(step_id: str, subject: str, body: str) -> dict:
    return {"id": step_id, "kind": "send", "channel": "email", "subject": subject, "body": body}


ABANDONED_CART = {
    "trigger": {"kind": "event", "event": "cart.abandoned", "where": {}},
    "steps": [
        {
            "id": "wait_for_order",
            "kind": "wait_event",
            "event": "order.placed",
            "match": ["cart_id"],
            "timeout_hours": 4,
            "on_event": "exit",
            "on_timeout": "",
        },
        _email(
            "reminder",
            "You left something in your basket",
            "Hi {{firstName|there}},\n\nYou were so close! The items in your basket are still "
            "waiting for you, but we can only hold them for a little while.\n\nPick up where "
            "you left off and finish your order in a minute.\n\nAny questions? Just reply to "
            "this email — a real person will answer.\n\n{{companyName}}",
        ),
        {
            "id": "wait_after_reminder",
            "kind": "wait_event",
            "event": "order.placed",
            "match": ["cart_id"],
            "timeout_hours": 24,
            "on_event": "exit",
            "on_timeout": "",
        },
        _email(
            "discount",
            "10% off to finish your order",
            "Hi {{firstName|there}},\n\nStill thinking it over? Here is 10% off your basket with "
            "the code COMEBACK10 at checkout — valid for the next 48 hours.\n\nIf something "
            "stopped you (shipping, sizes, payment), reply and tell us; we'll sort it out.\n\n"
            "{{companyName}}",
        ),
    ],
}

ONBOARDING = {
    "trigger": {"kind": "event", "event": "user.created", "where": {}},
    "steps": [
        _email(
            "welcome",
            "Welcome aboard — here's how to get started",
            "Hi {{firstName|there}},\n\nThanks for signing up! Three things take five minutes and "
            "make the biggest difference:\n\n1. Complete your profile\n2. Set up your first "
            "project\n3. Invite a colleague\n\nReply to this email if you get stuck.\n\n{{companyName}}",
        ),
        {"id": "wait_2_days", "kind": "wait", "days": 2, "until_time": "10:00"},
        {
            "id": "activated",
            "kind": "condition",
            "check": {"type": "event", "event": "project.created"},
            "then": "exit",
            "else": "",
        },
        _email(
            "nudge",
            "Need a hand with your first project?",
            "Hi {{firstName|there}},\n\nWe noticed you haven't set up a project yet. Most people "
            "start with a template — it takes two minutes.\n\nWant us to walk you through it? "
            "Reply with a time that suits you and we'll call.\n\n{{companyName}}",
        ),
    ],
}

WELCOME = {
    "trigger": {"kind": "event", "event": "lead.captured", "where": {}},
    "steps": [
        _email(
            "hello",
            "Thanks for getting in touch",
            "Hi {{firstName|there}},\n\nThanks for your interest in {{companyName}}. Here's what "
            "happens next: over the coming week we'll send you our most useful guides, and "
            "you can reply to any email to reach us directly.\n\n{{companyName}}",
        ),
        {"id": "wait_3_days", "kind": "wait", "days": 3, "until_time": "09:30"},
        _email(
            "story",
            "How our customers use {{companyName}}",
            "Hi {{firstName|there}},\n\nA quick story: one of our customers cut the time they "
            "spend on follow-ups in half in their first month. The trick was starting small — "
            "one automated reminder.\n\nWant the same? Reply and we'll set it up with you.\n\n"
            "{{companyName}}",
        ),
        {"id": "wait_4_days", "kind": "wait", "days": 4, "until_time": "09:30"},
        _email(
            "offer",
            "A little something to get you started",
            "Hi {{firstName|there}},\n\nAs a thank you for joining us, your first order ships "
            "free this week. Just use the code WELCOME at checkout.\n\n{{companyName}}",
        ),
    ],
}

WIN_BACK = {
    "trigger": {"kind": "schedule", "cron": "0 10 * * 1", "segment_id": None},
    "steps": [
        {
            "id": "recent_order",
            "kind": "condition",
            "check": {"type": "event", "event": "order.placed"},
            "then": "exit",
            "else": "",
        },
        _email(
            "miss_you",
            "We miss you, {{firstName|friend}}",
            "Hi {{firstName|there}},\n\nIt's been a while! A lot has changed since your last "
            "visit — new arrivals, faster delivery and a simpler returns process.\n\nCome back "
            "this week and take 15% off with the code MISSYOU15.\n\n{{companyName}}",
        ),
        {"id": "tag_contacted", "kind": "update", "action": "add_tag", "value": "win-back-sent"},
    ],
}

POST_PURCHASE = {
    "trigger": {"kind": "event", "event": "order.placed", "where": {}},
    "steps": [
        _email(
            "thanks",
            "Thank you for your order",
            "Hi {{firstName|there}},\n\nThank you for your order — we're getting it ready now and "
            "will let you know the moment it ships.\n\nQuestions about your order? Just reply "
            "to this email.\n\n{{companyName}}",
        ),
        {"id": "wait_7_days", "kind": "wait", "days": 7, "until_time": "11:00"},
        _email(
            "review",
            "How are you getting on?",
            "Hi {{firstName|there}},\n\nYour order should have arrived by now. How is it? A short "
            "review helps other customers choose and helps us improve.\n\nIf anything isn't "
            "right, reply and we'll make it right.\n\n{{companyName}}",
        ),
        {"id": "tag_customer", "kind": "update", "action": "add_tag", "value": "customer"},
    ],
}

TEMPLATES = {
    "abandoned_cart": ("Abandoned-cart recovery", ABANDONED_CART, "always"),
    "onboarding": ("Customer onboarding", ONBOARDING, "once"),
    "welcome": ("Welcome series", WELCOME, "once"),
    "win_back": ("Win-back", WIN_BACK, "after_exit"),
    "post_purchase": ("Post-purchase follow-up", POST_PURCHASE, "always"),
}


def create_from_template(
    session: Session, org_id: int, template: str, *, actor_id: int | None, now: datetime
) -> Workflow:
    if template not in TEMPLATES:
        raise WorkflowError("Choose one of the templates.", "template")
    name, definition, reentry = TEMPLATES[template]
    return create_workflow(
        session,
        org_id,
        name=name,
        definition=definition,
        reentry=reentry,
        actor_id=actor_id,
        now=now,
    )
