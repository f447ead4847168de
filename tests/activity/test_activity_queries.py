"""The feed reads who did what with the rows: one statement for a page, however many people
acted (their names are on every line, kept or not)."""

from __future__ import annotations

from sqlalchemy import event

from tests.conftest import START, add_member, login, make_user
from tests.core.test_request_queries import statements_of
from webapp.core.extensions import db
from webapp.services.activity.log import log_activity


def test_the_dashboard_reads_the_actors_with_the_activity(client, alice, alice_org):
    for i in range(4):
        person = make_user(f"staff{i}@example.com", f"Staff {i}")
        add_member(person, alice_org, "staff")
        log_activity(db.session, alice_org, "lead.note_added", f"Note {i}", now=START,
                     actor_id=person.id)  # fmt: skip
    db.session.commit()
    login(client, alice)

    seen = statements_of(client, "/")

    assert [s for s in seen if s.startswith("SELECT users.")] == [seen[0]], seen


def test_support_reads_each_lines_workspace_with_the_activity(
    client, alice_org, charlie, support_user
):
    login(client, support_user)

    seen = statements_of(client, "/activity")

    assert not [s for s in seen if "FROM organizations WHERE organizations.id = ?" in s], seen


def test_a_line_already_kept_is_not_read_in_full_again(client, alice, alice_org):
    for i in range(3):
        log_activity(db.session, alice_org, "campaign.budget_changed", f"Budget {i}", now=START)
    db.session.commit()
    login(client, alice)

    seen = statements_of(client, "/")  # after a first load, which kept the three lines

    assert not [s for s in seen if "activity_log.metadata" in s], seen
    assert len([s for s in seen if "FROM activity_log" in s]) == 1, seen


def test_only_a_new_line_is_read_in_full(client, alice, alice_org):
    for i in range(3):
        log_activity(db.session, alice_org, "campaign.budget_changed", f"Budget {i}", now=START)
    db.session.commit()
    login(client, alice)
    client.get("/")
    new = log_activity(db.session, alice_org, "lead.created", "New lead: Dana", now=START)
    db.session.commit()
    seen: list[tuple[str, tuple]] = []

    def record(_conn, _cursor, statement, params, *_args) -> None:
        if "activity_log.metadata" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        html = client.get("/").text
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    values = [list(p.values()) if isinstance(p, dict) else list(p) for _s, p in seen]
    assert values == [[new.id]], seen
    assert "New lead: Dana" in html and "Budget 2" in html
