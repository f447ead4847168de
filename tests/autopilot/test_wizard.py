"""The setup wizard, activation, re-planning, pause/resume, rules and the AI budget."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, login
from webapp.core.extensions import db
from webapp.core.signals import autopilot_activated
from webapp.models import ActivityLog, AiCall, AutopilotConfig
from webapp.web.provisioning.setup import provision_workspace

HX = {"HX-Request": "true"}
BUSINESS = {"description": "A family bakery in Leeds making sourdough and celebration cakes."}
AUDIENCE = {
    "who": "Busy families",
    "where": "Leeds",
    "market": "b2c",
    "interests": "baking, local food",
}
BUDGET = {"monthly_budget": "$1,200", "primary_goal": "sales", "monthly_leads": "40"}


@pytest.fixture
def owner(client, alice):
    login(client, alice)
    return client


def post(client, step, data, *, nav="next", htmx=False):
    payload = {"csrf_token": csrf_token(client, "/autopilot/"), "nav": nav, **data}
    return client.post(f"/autopilot/setup/{step}", data=payload, headers=HX if htmx else {})


def config_of(org):
    db.session.expire_all()
    return db.session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == org.id)
    ).one_or_none()


def activity(org, type_):
    return list(db.session.scalars(
        select(ActivityLog).where(ActivityLog.org_id == org.id, ActivityLog.type == type_).order_by(ActivityLog.id)
    ))  # fmt: skip


def through_budget(client, budget=None):
    assert post(client, "business", BUSINESS).status_code == 303
    assert post(client, "audience", AUDIENCE).status_code == 303
    response = post(client, "budget", budget or BUDGET)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/autopilot/setup/review"
    )
    return client.get("/autopilot/setup/review")


def review_fields(config) -> dict:
    strategy = config.wizard["strategy"]
    data = {}
    for i, row in enumerate(strategy["channels"]):
        data[f"channels-{i}-channel"] = row["channel"]
        data[f"channels-{i}-percent"] = str(row["percent"])
    messaging = strategy["messaging"]
    data.update(value_proposition=messaging["value_proposition"], tone=messaging["tone"], add_channel="",
                add_percent="", **{f"key_message_{i + 1}": m for i, m in enumerate(messaging["key_messages"])})  # fmt: skip
    return data


# --- the steps ----------------------------------------------------------------------------


def test_it_shows_each_step_as_a_page_or_an_htmx_partial(owner):
    page = owner.get("/autopilot/setup/business")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Step 1 of 4" in html
    partial = owner.get("/autopilot/setup/business", headers=HX)
    text = partial.get_data(as_text=True)
    assert "<html" not in text and text.lstrip().startswith('<section id="wizard"')
    assert "HX-Request" in partial.headers["Vary"]
    assert owner.get("/autopilot/setup").headers["Location"].endswith("/autopilot/setup/business")
    assert owner.get("/autopilot/setup/nowhere").status_code == 404
    # No strategy yet: the review step sends you to the budget step.
    assert (
        owner.get("/autopilot/setup/review").headers["Location"].endswith("/autopilot/setup/budget")
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"description": ""}, "Describe your business in a sentence or two."),
        ({"description": "Bakery"}, "Use between 20 and 2,000 characters"),
        ({"description": "x" * 2001}, "Use between 20 and 2,000 characters"),
    ],
)
def test_it_checks_the_business_step(owner, alice_org, typed, message):
    response = post(owner, "business", typed, htmx=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in text
    assert message in text and 'id="description-error"' in text and "Step 1 of 4" in text
    assert config_of(alice_org).wizard["business"] == typed  # what was typed is kept


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({**AUDIENCE, "who": " "}, "who", "Say who buys from you"),
        ({**AUDIENCE, "where": ""}, "where", "Say where your customers are"),
        (
            {k: v for k, v in AUDIENCE.items() if k != "market"},
            "market",
            "Choose whether you sell to people or to businesses.",
        ),
        (
            {**AUDIENCE, "market": "b2g"},
            "market",
            "Choose whether you sell to people or to businesses.",
        ),
        (
            {**AUDIENCE, "interests": ",".join("abcdefghi")},
            "interests",
            "List at most 8 interests.",
        ),
        ({**AUDIENCE, "who": "x" * 121}, "who", "Field cannot be longer than 120 characters."),
    ],
)
def test_it_checks_the_audience_step(owner, typed, field, message):
    response = post(owner, "audience", typed)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in text  # without htmx: the whole page
    assert f'id="{field}-error"' in text and message in text


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        (
            {**BUDGET, "monthly_budget": ""},
            "monthly_budget",
            "Enter your monthly budget in dollars, like 500.",
        ),
        (
            {**BUDGET, "monthly_budget": "lots"},
            "monthly_budget",
            "Enter your monthly budget in dollars, like 500.",
        ),
        (
            {**BUDGET, "monthly_budget": "5"},
            "monthly_budget",
            "Enter an amount between $10 and $1,000,000.",
        ),
        (
            {**BUDGET, "monthly_budget": "NaN"},
            "monthly_budget",
            "Enter your monthly budget in dollars",
        ),
        ({**BUDGET, "primary_goal": ""}, "primary_goal", "Choose your main goal."),
        ({**BUDGET, "monthly_leads": "2.5"}, "monthly_leads", "Enter a whole number of leads"),
        ({**BUDGET, "monthly_leads": "0"}, "monthly_leads", "Enter between 1 and 100,000 leads"),
    ],
)
def test_it_checks_the_budget_step(owner, typed, field, message):
    response = post(owner, "budget", typed, htmx=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Step 3 of 4" in text
    assert f'id="{field}-error"' in text and message in text


def test_it_moves_forward_by_htmx_and_pushes_the_url(owner):
    response = post(owner, "business", BUSINESS, htmx=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in text and "Step 2 of 4" in text
    assert response.headers["HX-Push-Url"] == "/autopilot/setup/audience"


def test_it_keeps_what_was_typed_going_back_and_forth(owner, alice_org):
    post(owner, "business", BUSINESS)
    post(owner, "audience", AUDIENCE)
    # Half-typed (even invalid) values survive Back.
    back = post(
        owner,
        "budget",
        {"monthly_budget": "12OO", "primary_goal": "bookings"},
        nav="back",
        htmx=True,
    )
    text = back.get_data(as_text=True)
    assert back.status_code == 200 and "Step 2 of 4" in text and 'value="Busy families"' in text
    assert back.headers["HX-Push-Url"] == "/autopilot/setup/audience"
    again = owner.get("/autopilot/setup/budget").get_data(as_text=True)
    assert 'value="12OO"' in again and '<input checked id="primary_goal-3"' in again
    assert config_of(alice_org).wizard["step"] == "audience"
    # Back from step 2 keeps its edits too, and step 1 still holds its text.
    back = post(owner, "audience", {**AUDIENCE, "who": "Office workers"}, nav="back")
    assert back.headers["Location"].endswith("/autopilot/setup/business")
    assert BUSINESS["description"] in owner.get("/autopilot/setup/business").get_data(as_text=True)
    assert 'value="Office workers"' in owner.get("/autopilot/setup/audience").get_data(as_text=True)
    assert owner.get("/autopilot/setup").headers["Location"].endswith("/autopilot/setup/business")


def test_it_plans_the_strategy_once_for_the_same_inputs(owner, alice_org):
    review = through_budget(owner).get_data(as_text=True)
    assert "Step 4 of 4" in review and "Written by the built-in planner" in review
    config = config_of(alice_org)
    strategy = config.wizard["strategy"]
    assert (
        strategy["planner"] == "builtin" and sum(c["percent"] for c in strategy["channels"]) == 100
    )
    calls = db.session.scalar(select(func.count(AiCall.id)).where(AiCall.org_id == alice_org.id))
    assert calls == 1

    post(owner, "review", review_fields(config), nav="back")
    assert post(owner, "budget", BUDGET).status_code == 303  # same inputs: no new plan
    assert db.session.scalar(select(func.count(AiCall.id))) == 1
    assert post(owner, "budget", {**BUDGET, "monthly_budget": "150"}).status_code == 303
    assert db.session.scalar(select(func.count(AiCall.id))) == 2
    assert (
        len(config_of(alice_org).wizard["strategy"]["channels"]) == 3
    )  # a tiny budget: 3 channels


def test_it_sends_you_back_to_a_step_that_no_longer_validates(owner, alice_org):
    post(owner, "business", BUSINESS)
    post(owner, "audience", {**AUDIENCE, "who": ""}, nav="back")  # an invalid step 2, kept as typed
    response = post(owner, "budget", BUDGET)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Step 2 of 4" in text and 'id="who-error"' in text


# --- the review step ----------------------------------------------------------------------


def test_it_refuses_shares_that_do_not_add_up_to_100(owner, alice_org):
    through_budget(owner)
    fields = review_fields(config_of(alice_org))
    fields["channels-0-percent"] = str(int(fields["channels-0-percent"]) - 5)
    response = post(owner, "review", fields, htmx=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in text
    assert "The shares add up to 95%; they must add up to exactly 100%." in text
    assert 'aria-describedby="total-error"' in text
    assert config_of(alice_org).status == "draft"
    # What was typed stays on the page and in the draft.
    assert f'value="{fields["channels-0-percent"]}"' in text
    assert (
        config_of(alice_org).wizard["review"]["channels-0-percent"] == fields["channels-0-percent"]
    )

    zeros = {**fields, **{k: "0" for k in fields if k.endswith("-percent")}}
    assert "Give at least one channel a share above 0%." in post(owner, "review", zeros).get_data(
        as_text=True
    )
    bad = {**review_fields(config_of(alice_org)), "channels-1-percent": "ten"}
    assert "Enter a whole percentage from 0 to 100." in post(owner, "review", bad).get_data(
        as_text=True
    )


def test_it_lets_you_drop_and_add_channels(owner, alice_org):
    through_budget(owner)
    fields = review_fields(config_of(alice_org))
    first, dropped = fields["channels-0-channel"], fields["channels-1-channel"]
    moved = int(fields["channels-1-percent"])
    fields["channels-1-percent"] = "0"
    fields.update(add_channel="referral", add_percent=str(moved))
    duplicate = {**fields, "add_channel": first}
    text = post(owner, "review", duplicate).get_data(as_text=True)
    assert "That channel is already in the plan" in text
    fields["tone"] = "Cheerful"
    response = post(owner, "review", fields)
    assert response.status_code == 303 and response.headers["Location"].endswith("/autopilot/")
    strategy = config_of(alice_org).strategy
    channels = {c["channel"]: c for c in strategy["channels"]}
    assert dropped not in channels and channels["referral"]["percent"] == moved
    assert channels["referral"]["rationale"].endswith("Added by you.")
    assert strategy["messaging"]["tone"] == "Cheerful" and strategy["edited"] is True


# --- activation ---------------------------------------------------------------------------


def test_it_activates_the_plan(app, owner, alice, alice_org, clock):
    called = []

    def record(_sender, *, org_id: int, **_) -> None:
        called.append(org_id)

    autopilot_activated.disconnect(provision_workspace, sender=app)
    autopilot_activated.connect(record, sender=app)
    through_budget(owner)
    fields = review_fields(config_of(alice_org))
    response = post(owner, "review", fields, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/autopilot/"
    config = config_of(alice_org)
    assert (config.status, config.activated_at, config.paused_at) == ("active", clock(), None)
    assert config.wizard == {}
    assert config.business_description == BUSINESS["description"]
    assert config.audience == {
        "who": "Busy families",
        "where": "Leeds",
        "market": "b2c",
        "interests": ["baking", "local food"],
    }
    assert config.monthly_budget == Decimal("1200.00")
    assert config.goals == {"primary": "sales", "monthly_leads": 40}
    assert config.strategy["edited"] is False and config.strategy["planner"] == "builtin"
    assert called == [alice_org.id]
    [row] = activity(alice_org, "autopilot.activated")
    assert row.description.startswith("Autopilot is on: $1,200.00 a month across ")
    assert (
        row.actor_id == alice.id and row.details["plan"]["channels"] == config.strategy["channels"]
    )
    page = owner.get("/autopilot/").get_data(as_text=True)
    assert "Autopilot is on." in page and "$1,200.00 a month" in page and "Pause autopilot" in page
    dashboard = owner.get("/").get_data(as_text=True)
    assert "autopilot-cta" not in dashboard and "Active" in dashboard


def test_it_keeps_the_activation_when_a_hook_fails(app, owner, alice_org):
    def provision_channels(_sender, *, org_id: int, **_) -> None:
        db.session.add(
            ActivityLog(
                org_id=org_id,
                type="x",
                description="half done",
                created_at=config_of(alice_org).created_at,
            )
        )
        db.session.flush()
        raise RuntimeError("provider down")

    autopilot_activated.disconnect(provision_workspace, sender=app)
    autopilot_activated.connect(provision_channels, sender=app)
    through_budget(owner)
    post(owner, "review", review_fields(config_of(alice_org)))
    assert config_of(alice_org).status == "active"
    [failed] = activity(alice_org, "autopilot.hook_failed")
    assert "provision channels failed: provider down" in failed.description
    assert not activity(alice_org, "x")  # the hook's own writes were rolled back


def test_it_re_runs_the_wizard_to_change_the_plan(owner, alice_org, clock):
    through_budget(owner)
    post(owner, "review", review_fields(config_of(alice_org)))
    before = config_of(alice_org).strategy

    # The wizard opens on the active plan's values.
    assert BUSINESS["description"] in owner.get("/autopilot/setup/business").get_data(as_text=True)
    assert 'value="1200.00"' in owner.get("/autopilot/setup/budget").get_data(as_text=True)
    assert "Change your plan" in owner.get("/autopilot/setup/business").get_data(as_text=True)
    # Unchanged inputs show the active (possibly edited) strategy without asking again.
    calls = db.session.scalar(select(func.count(AiCall.id)))
    assert post(owner, "budget", BUDGET).status_code == 303
    assert db.session.scalar(select(func.count(AiCall.id))) == calls

    clock.advance(days=3)
    post(owner, "budget", {**BUDGET, "monthly_budget": "3000", "primary_goal": "leads"})
    assert config_of(alice_org).status == "active"  # still the old plan until activated
    assert "unfinished changes" in owner.get("/autopilot/").get_data(as_text=True)
    post(owner, "review", review_fields(config_of(alice_org)))
    config = config_of(alice_org)
    assert config.monthly_budget == Decimal("3000.00") and config.activated_at == clock()
    latest = activity(alice_org, "autopilot.activated")[-1]
    assert latest.description.startswith("Autopilot changed the plan: $3,000.00 a month")
    assert (
        latest.details["previous_plan"] == before
        and latest.details["previous_monthly_budget"] == "1200.00"
    )


def test_it_discards_an_unfinished_change(owner, alice_org):
    through_budget(owner)
    post(owner, "review", review_fields(config_of(alice_org)))
    post(owner, "budget", {**BUDGET, "monthly_budget": "50"})
    token = csrf_token(owner, "/autopilot/")
    assert owner.post("/autopilot/setup/discard", data={"csrf_token": token}).status_code == 303
    config = config_of(alice_org)
    assert config.wizard == {} and config.monthly_budget == Decimal("1200.00")
    assert activity(alice_org, "autopilot.draft_discarded")


# --- pause and resume ---------------------------------------------------------------------


def test_staff_pause_and_resume_the_autopilot(client, owner, bob, alice_org, clock):
    through_budget(owner)
    post(owner, "review", review_fields(config_of(alice_org)))
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/")})
    login(client, bob)
    token = csrf_token(client, "/autopilot/")
    assert client.post("/autopilot/pause", data={"csrf_token": token}).status_code == 303
    config = config_of(alice_org)
    assert (config.status, config.paused_at) == ("paused", clock())
    assert "Resume autopilot" in client.get("/autopilot/").get_data(as_text=True)
    [paused] = activity(alice_org, "autopilot.paused")
    assert paused.actor_id == bob.id

    again = client.post("/autopilot/pause", data={"csrf_token": token}, follow_redirects=True)
    assert "Only an active autopilot can be paused." in again.get_data(as_text=True)
    clock.advance(hours=2)
    response = client.post("/autopilot/resume", data={"csrf_token": token}, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/autopilot/"
    assert config_of(alice_org).status == "active" and config_of(alice_org).paused_at is None
    assert activity(alice_org, "autopilot.resumed")[0].details["paused_at"]
    assert client.post("/autopilot/pause", data={}).status_code == 400  # no CSRF token


def test_it_cannot_pause_what_does_not_exist(owner):
    token = csrf_token(owner, "/autopilot/")
    assert owner.post("/autopilot/pause", data={"csrf_token": token}).status_code == 404


# --- rules and the AI budget --------------------------------------------------------------


RULES = {"low_conversion": "0.5", "low_spend_share": "40", "high_conversion": "4", "high_spend_share": "60",
         "change_pct": "15", "max_increase": "$300", "cooldown_days": "10"}  # fmt: skip


def test_owners_change_the_rules(owner, alice_org):
    response = owner.post(
        "/autopilot/rules", data={"csrf_token": csrf_token(owner, "/autopilot/"), **RULES}
    )
    assert response.status_code == 303
    assert config_of(alice_org).rules == {
        "low_conversion": 0.005, "low_spend_share": 0.4, "high_conversion": 0.04, "high_spend_share": 0.6,
        "change_pct": 0.15, "max_increase": 300.0, "cooldown_days": 10,
    }  # fmt: skip
    assert config_of(alice_org).rule("cooldown_days") == 10
    [row] = activity(alice_org, "autopilot.rules_changed")
    assert row.details["changed"]["low_conversion"] == {"before": 0.01, "after": 0.005}
    page = owner.get("/autopilot/").get_data(as_text=True)
    assert 'value="0.5"' in page and 'value="300"' in page


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        (
            {"low_conversion": "5"},
            "low_conversion",
            "The cut threshold must be below the raise threshold.",
        ),
        ({"cooldown_days": "1.5"}, "cooldown_days", "Enter a whole number of days from 1 to 90."),
        ({"change_pct": "150"}, "change_pct", "Enter a percentage from 1 to 99."),
        ({"max_increase": "-1"}, "max_increase", "Enter an amount from $0 to $1,000,000."),
        ({"high_spend_share": ""}, "high_spend_share", "Enter a percentage from 1 to 100."),
    ],
)
def test_it_refuses_rules_that_make_no_sense(owner, alice_org, over, field, message):
    data = {"csrf_token": csrf_token(owner, "/autopilot/"), **RULES, **over}
    response = owner.post("/autopilot/rules", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in text and message in text
    assert config_of(alice_org) is None or config_of(alice_org).rules == {}


def test_owners_set_the_ai_budget(owner, alice_org):
    token = csrf_token(owner, "/autopilot/")
    assert (
        owner.post(
            "/autopilot/ai-budget", data={"csrf_token": token, "ai_monthly_budget": "25"}
        ).status_code
        == 303
    )
    assert config_of(alice_org).ai_monthly_budget == Decimal("25.00")
    assert "$0.00 of $25.00" in owner.get("/autopilot/").get_data(as_text=True)
    bad = owner.post("/autopilot/ai-budget", data={"csrf_token": token, "ai_monthly_budget": "-3"})
    assert bad.status_code == 422 and "Enter an amount from $0 to $10,000." in bad.get_data(
        as_text=True
    )
    assert activity(alice_org, "autopilot.ai_budget_changed")[0].description == (
        "Monthly AI budget changed from $10.00 to $25.00."
    )


def test_staff_read_the_rules_but_cannot_change_them(client, bob, alice_org):
    login(client, bob)
    page = client.get("/autopilot/").get_data(as_text=True)
    assert (
        "Only an owner can change the rules." in page
        and "Cut by 20% when conversion is below 1%" in page
    )
    token = csrf_token(client, "/autopilot/")
    assert client.post("/autopilot/rules", data={"csrf_token": token, **RULES}).status_code == 403
    assert (
        client.post(
            "/autopilot/ai-budget", data={"csrf_token": token, "ai_monthly_budget": "99"}
        ).status_code
        == 403
    )
    assert config_of(alice_org) is None


def test_support_reads_but_changes_nothing(client, support_user):
    login(client, support_user)
    assert client.get("/autopilot/").status_code == 200
    token = csrf_token(client, "/autopilot/")
    for path, data in [
        ("/autopilot/setup/business", BUSINESS),
        ("/autopilot/pause", {}),
        ("/autopilot/rules", RULES),
        ("/autopilot/ai-budget", {"ai_monthly_budget": "5"}),
    ]:
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert db.session.scalar(select(func.count(AutopilotConfig.id))) == 0


def test_each_workspace_has_its_own_wizard(client, owner, alice_org, charlie):
    post(owner, "business", BUSINESS)
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/")})
    login(client, charlie)
    assert BUSINESS["description"] not in client.get("/autopilot/setup/business").get_data(
        as_text=True
    )
    assert "Set up your autopilot" in client.get("/").get_data(as_text=True)


def test_the_dashboard_offers_to_continue_an_unfinished_setup(owner):
    assert "Set up your autopilot" in owner.get("/").get_data(as_text=True)
    post(owner, "business", BUSINESS)
    assert "Continue the setup" in owner.get("/").get_data(as_text=True)
    assert "it continues at step 2 of 4" in owner.get("/autopilot/").get_data(as_text=True)


def test_it_refuses_a_channel_twice_and_keeps_only_the_step_fields(owner, alice_org):
    through_budget(owner)
    fields = review_fields(config_of(alice_org))
    fields["channels-1-channel"] = fields["channels-0-channel"]
    response = post(owner, "review", {**fields, "is_admin": "yes", "x" * 50: "y" * 10_000})
    assert response.status_code == 422
    assert "Each channel can appear only once." in response.get_data(as_text=True)
    kept = config_of(alice_org).wizard["review"]
    assert "is_admin" not in kept and set(kept) <= set(fields)


def test_it_re_plans_from_a_strategy_written_elsewhere(owner, alice_org, clock):
    db.session.add(AutopilotConfig(
        org_id=alice_org.id, status="active", monthly_budget=Decimal("900"), business_description=BUSINESS["description"],
        audience={"who": "Locals", "where": "Leeds", "market": "b2c", "interests": []},
        goals={"primary": "More cake orders"}, strategy={"channels": [{"channel": "email", "percent": 100, "rationale": "r"}]},
        created_at=clock(), updated_at=clock(), activated_at=clock(),
    ))  # fmt: skip
    db.session.commit()
    assert owner.get("/autopilot/").status_code == 200
    review = owner.get("/autopilot/setup/review")
    assert review.status_code == 200 and 'value="100"' in review.get_data(as_text=True)
    # An unknown goal is asked again rather than guessed.
    response = post(owner, "budget", {"monthly_budget": "900", "primary_goal": ""})
    assert response.status_code == 422 and "Choose your main goal." in response.get_data(
        as_text=True
    )


def test_it_shows_who_wrote_the_strategy_with_openai(app, owner, alice_org):
    from tests.fakes.openai_server import FakeOpenAI, reply_json, reply_status

    fake = FakeOpenAI().start()
    plan = {
        "channels": [
            {"channel": "meta_ads", "percent": 60, "rationale": "Cakes photograph well."},
            {"channel": "email", "percent": 40, "rationale": "Regulars come back."},
        ],
        "messaging": {
            "value_proposition": "Bread at dawn.",
            "tone": "Warm",
            "key_messages": ["a", "b", "c"],
        },
    }
    app.config.update(
        OPENAI_API_KEY="sk-wizard", OPENAI_BASE_URL=fake.base_url, OPENAI_MODEL="gpt-4o-mini"
    )
    try:
        fake.script(reply_json(plan))
        text = through_budget(owner).get_data(as_text=True)
        assert "Written by OpenAI (gpt-4o-mini)" in text and "Cakes photograph well." in text
        fake.script(reply_status(401))
        post(owner, "budget", {**BUDGET, "monthly_budget": "2000"})
        text = owner.get("/autopilot/setup/review").get_data(as_text=True)
    finally:
        fake.stop()
    assert "Written by the built-in planner" in text
    assert "OpenAI was not used: OpenAI refused the API key; check OPENAI_API_KEY." in text
    assert activity(alice_org, "ai.fallback")
    assert "sk-wizard" not in text
