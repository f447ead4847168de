"""Rules compiled to SQL give the same members on SQLite and PostgreSQL (run this file with
TEST_DATABASE_URL set for the second): NULLs, non-ASCII text, and numbers, booleans and
dates stored in custom attributes as JSON values or as text."""

from __future__ import annotations

import pytest

from tests.conftest import START
from tests.segments.factories import all_of, any_of, days, make_lead, rule
from webapp.core.extensions import db
from webapp.services.segments import manage
from webapp.services.segments.rules import RulesInvalid

ATTRIBUTES = {"plan": "string", "ltv": "number", "vip": "boolean", "birthday": "date"}


@pytest.fixture
def people(alice_org):
    """Eight contacts whose custom data covers every JSON shape a rule must read."""
    org = alice_org.id
    for key, type_ in ATTRIBUTES.items():
        manage.declare_attribute(db.session, org, key, type_, key, now=START)
    rows = [
        (
            "Émile Zola",
            dict(
                company="Éditions",
                status="won",
                score=80,
                timezone="Europe/Paris",
                extra={"plan": "Gold", "ltv": 120.5, "vip": True, "birthday": "1990-04-02"},
            ),
        ),
        (
            "Zoë Adams",
            dict(
                company="ACME",
                status="won",
                score=40,
                extra={
                    "plan": "gold",
                    "ltv": "99",
                    "vip": "yes",
                    "birthday": "2001-12-31T08:00:00Z",
                },
            ),
        ),
        (
            "Ana Lima",
            dict(
                company="", status="new", score=10, extra={"plan": "Silver", "ltv": 0, "vip": False}
            ),
        ),
        (
            "Bob Null",
            dict(
                company="",
                email=None,
                phone="+447700900123",
                status="lost",
                score=0,
                extra={"plan": None, "ltv": None, "vip": None, "birthday": None},
            ),
        ),
        (
            "Chen 陈",
            dict(
                company="北京 Trading",
                status="qualified",
                score=55,
                extra={"plan": "金", "ltv": "1e3", "vip": "maybe", "birthday": "soon"},
            ),
        ),
        (
            "Dee Text",
            dict(
                company="dee co",
                status="contacted",
                score=20,
                extra={"plan": 7, "ltv": "12.50", "vip": 1, "birthday": "2020-02-29"},
            ),
        ),
        ("Eve Empty", dict(extra={}, unsubscribed_at=START - days(1), created_at=START - days(40))),
        (
            "Finn Odd",
            dict(extra={"ltv": "-3", "vip": "FALSE", "plan": ""}, created_at=START - days(5)),
        ),
    ]
    for name, over in rows:
        make_lead(org, name, **over)
    make_lead(org + 1000 if False else org, "Gil Other", status="won")  # same workspace
    db.session.commit()
    return org


CASES = [
    # contact fields
    (rule("status", "equals", "won"), {"Émile Zola", "Zoë Adams", "Gil Other"}),
    (
        rule("status", "not_equals", "won"),
        {"Ana Lima", "Bob Null", "Chen 陈", "Dee Text", "Eve Empty", "Finn Odd"},
    ),
    (rule("status", "in", "lost, qualified"), {"Bob Null", "Chen 陈"}),
    (rule("name", "contains", "zo"), {"Émile Zola", "Zoë Adams"}),  # ASCII folds, é does not
    (rule("name", "contains", "émile"), set()),  # non-ASCII case is kept on both databases
    (rule("name", "contains", "Émile"), {"Émile Zola"}),
    (rule("company", "contains", "北京"), {"Chen 陈"}),
    (rule("company", "is_not_set"), {"Ana Lima", "Bob Null", "Eve Empty", "Finn Odd", "Gil Other"}),
    (rule("email", "is_not_set"), {"Bob Null"}),
    (
        rule("email", "not_equals", "ana.lima@example.com"),
        {
            "Émile Zola",
            "Zoë Adams",
            "Bob Null",
            "Chen 陈",
            "Dee Text",
            "Eve Empty",
            "Finn Odd",
            "Gil Other",
        },
    ),
    (
        rule("timezone", "not_in", ["Europe/Paris"]),
        {
            "Zoë Adams",
            "Ana Lima",
            "Bob Null",
            "Chen 陈",
            "Dee Text",
            "Eve Empty",
            "Finn Odd",
            "Gil Other",
        },
    ),
    (rule("score", "greater_than", 40), {"Émile Zola", "Chen 陈"}),
    (rule("subscribed", "equals", "false"), {"Eve Empty"}),
    (rule("created_at", "before", "30 days ago"), {"Eve Empty"}),
    (
        rule("created_at", "within_last", 7),
        {
            "Émile Zola",
            "Zoë Adams",
            "Ana Lima",
            "Bob Null",
            "Chen 陈",
            "Dee Text",
            "Finn Odd",
            "Gil Other",
        },
    ),
    # custom text: only JSON strings; ASCII case folds
    (rule("attr.plan", "equals", "GOLD"), {"Émile Zola", "Zoë Adams"}),
    (rule("attr.plan", "equals", "金"), {"Chen 陈"}),
    (rule("attr.plan", "is_set"), {"Émile Zola", "Zoë Adams", "Ana Lima", "Chen 陈"}),
    (
        rule("attr.plan", "not_equals", "gold"),
        {"Ana Lima", "Bob Null", "Chen 陈", "Dee Text", "Eve Empty", "Finn Odd", "Gil Other"},
    ),
    # custom numbers: JSON numbers and plain decimal text; "1e3" is not a plain number
    (rule("attr.ltv", "greater_than", 50), {"Émile Zola", "Zoë Adams"}),
    (rule("attr.ltv", "less_than", 13), {"Ana Lima", "Dee Text", "Finn Odd"}),
    (rule("attr.ltv", "equals", 12.5), {"Dee Text"}),
    (rule("attr.ltv", "is_not_set"), {"Bob Null", "Chen 陈", "Eve Empty", "Gil Other"}),
    (rule("attr.ltv", "in", "0, 99"), {"Ana Lima", "Zoë Adams"}),
    # custom booleans: true/false, "yes"/"no", 1/0, any case
    (rule("attr.vip", "equals", "true"), {"Émile Zola", "Zoë Adams", "Dee Text"}),
    (rule("attr.vip", "equals", "false"), {"Ana Lima", "Finn Odd"}),
    (
        rule("attr.vip", "not_equals", "true"),
        {"Ana Lima", "Bob Null", "Chen 陈", "Eve Empty", "Finn Odd", "Gil Other"},
    ),
    (rule("attr.vip", "is_not_set"), {"Bob Null", "Chen 陈", "Eve Empty", "Gil Other"}),
    # custom dates: ISO text, by day
    (rule("attr.birthday", "before", "2000-01-01"), {"Émile Zola"}),
    (rule("attr.birthday", "after", "2001-12-30"), {"Zoë Adams", "Dee Text"}),
    (rule("attr.birthday", "is_set"), {"Émile Zola", "Zoë Adams", "Dee Text"}),
    # groups
    (
        any_of(
            rule("attr.vip", "equals", "true"),
            all_of(rule("status", "equals", "lost"), rule("phone", "is_set")),
        ),
        {"Émile Zola", "Zoë Adams", "Dee Text", "Bob Null"},
    ),
]


@pytest.mark.parametrize(("rules", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_it_finds_the_same_members_on_every_database(people, rules, expected):
    tree = rules if rules["kind"] == "group" else all_of(rules)
    result = manage.preview(db.session, people, tree, START)
    names = {lead.full_name for lead in result.members}
    assert result.count == len(expected)
    assert names == expected


def test_a_negation_is_the_exact_complement(people):
    everyone = manage.preview(db.session, people, all_of(rule("score", "is_set")), START).count
    for positive, negative in [
        (rule("attr.plan", "equals", "gold"), rule("attr.plan", "not_equals", "gold")),
        (rule("attr.ltv", "in", "0, 99"), rule("attr.ltv", "not_in", "0, 99")),
        (rule("company", "contains", "co"), rule("company", "not_contains", "co")),
        (rule("attr.vip", "is_set"), rule("attr.vip", "is_not_set")),
    ]:
        yes = manage.preview(db.session, people, all_of(positive), START).count
        no = manage.preview(db.session, people, all_of(negative), START).count
        assert yes + no == everyone, positive


def test_the_workspace_is_always_anded_in(people, charlie):
    from tests.conftest import org_of

    other = org_of(charlie).id
    make_lead(other, "Émile Elsewhere", status="won")
    db.session.commit()
    result = manage.preview(db.session, other, all_of(rule("status", "equals", "won")), START)
    assert {lead.full_name for lead in result.members} == {"Émile Elsewhere"}


def test_a_value_is_a_bound_parameter_never_sql(people):
    nasty = "x' OR '1'='1"
    result = manage.preview(db.session, people, all_of(rule("name", "equals", nasty)), START)
    assert result.count == 0


def test_an_undeclared_attribute_is_refused_naming_the_rule(people):
    with pytest.raises(RulesInvalid) as err:
        manage.preview(
            db.session,
            people,
            all_of(rule("status", "equals", "won"), any_of(rule("attr.shoe_size", "equals", 3))),
            START,
        )
    assert err.value.errors == {
        "Rule 2.1": "unknown custom attribute 'shoe_size': declare it first"
    }
