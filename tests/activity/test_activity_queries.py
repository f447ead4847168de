"""The feed reads who did what with the rows: one statement for a page, however many people
acted (their names are on every line, kept or not)."""

from __future__ import annotations

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
