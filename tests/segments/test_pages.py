"""The segments pages: list and empty state, builder actions, live preview, save with
errors, members with pages, CSV export, delete; a contact's tags; workspace isolation."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from tests.conftest import START, csrf_token, login, org_of
from tests.segments.factories import all_of, make_lead, make_segment, rule
from webapp.core.extensions import db
from webapp.models import LeadTag, Segment

HX = {"HX-Request": "true"}


def _form(token: str, name: str = "Won VIPs", **rows) -> dict:
    data = {"csrf_token": token, "name": name, "node.": "group", "match.": "all"}
    data.update(rows)
    return data


def _rule(path: str, field: str, op: str, value="") -> dict:
    return {
        f"node.{path}": "rule",
        f"field.{path}": field,
        f"op.{path}": op,
        f"value.{path}": value,
    }


def test_it_shows_an_empty_state_that_says_what_to_do(client, alice):
    login(client, alice)
    page = client.get("/segments").get_data(as_text=True)
    assert "No segments yet" in page and "Create your first segment" in page
    assert 'href="/segments"' in page  # the nav entry


def test_the_builder_adds_and_removes_rules_and_groups_without_saving(client, alice):
    login(client, alice)
    token = csrf_token(client, "/segments/new")
    data = _form(token, **_rule("1", "status", "equals", "won"), action="add_group:")
    html = client.post("/segments/new", data=data, headers=HX).get_data(as_text=True)
    assert "<html" not in html and 'id="rule-builder"' in html
    assert 'name="node.2" value="group"' in html and 'name="field.2.1"' in html
    data = _form(
        token, **_rule("1", "status", "equals", "won"), **_rule("2", "score", "greater_than", "5")
    )
    html = client.post("/segments/new", data={**data, "action": "remove:1"}, headers=HX).get_data(
        as_text=True
    )
    assert (
        'name="field.1"' in html
        and 'value="score" selected' in html
        and 'name="field.2"' not in html
    )
    assert db.session.scalar(select(Segment.id)) is None


def test_a_field_change_offers_that_fields_operators_and_value_input(client, alice):
    login(client, alice)
    token = csrf_token(client, "/segments/new")
    data = _form(token, **_rule("1", "subscribed", "contains", "x"), action="refresh:")
    html = client.post("/segments/new", data=data, headers=HX).get_data(as_text=True)
    assert '<option value="equals" selected>is</option>' in html and "contains" not in html
    assert '<select id="value-1" name="value.1">' in html  # yes / no


def test_the_live_preview_counts_and_lists_the_first_members(client, alice, alice_org):
    org = alice_org.id
    for i in range(12):
        make_lead(org, f"Won {i:02}", status="won")
    make_lead(org, "Lost One", status="lost")
    db.session.commit()
    login(client, alice)
    token = csrf_token(client, "/segments/new")
    html = client.post(
        "/segments/preview", data=_form(token, **_rule("1", "status", "equals", "won")), headers=HX
    ).get_data(as_text=True)
    assert '<strong id="preview-count" class="big-number">12</strong>' in html
    assert "Won 00" in html and "Won 09" in html and "Won 10" not in html and "and 2 more" in html
    bad = client.post(
        "/segments/preview",
        data=_form(token, **_rule("1", "score", "greater_than", "x")),
        headers=HX,
    )
    assert bad.status_code == 200 and "Fix the rules" in bad.get_data(as_text=True)


def test_saving_bad_rules_shows_each_rules_error_and_keeps_the_input(client, alice):
    login(client, alice)
    token = csrf_token(client, "/segments/new")
    data = _form(
        token,
        **_rule("1", "score", "greater_than", "lots"),
        **_rule("2", "attr.size", "equals", "3"),
    )
    response = client.post("/segments/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Rule 1: give a number" in html and 'value="lots"' in html
    assert 'aria-invalid="true" aria-describedby="error-1"' in html
    no_name = client.post(
        "/segments/new", data=_form(token, name="", **_rule("1", "status", "equals", "won"))
    )
    assert no_name.status_code == 422 and "Give the segment a name." in no_name.get_data(
        as_text=True
    )


def test_it_saves_shows_pages_exports_and_deletes(client, alice, alice_org):
    org = alice_org.id
    for i in range(55):
        make_lead(org, f"Member {i:02}", status="won", company="=HYPERLINK()" if i == 0 else "")
    db.session.commit()
    login(client, alice)
    token = csrf_token(client, "/segments/new")
    saved = client.post("/segments/new", data=_form(token, **_rule("1", "status", "equals", "won")))
    assert saved.status_code == 303
    segment = db.session.scalars(select(Segment)).one()
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert '<strong id="member-count">55</strong>' in page and "Member 49" in page
    assert "Member 50" not in page
    second = client.get(f"/segments/{segment.id}?page=2", headers=HX).get_data(as_text=True)
    assert "<html" not in second and "Member 54" in second and "Member 00" not in second

    export = client.get(f"/segments/{segment.id}/export.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0][:2] == ["id", "name"] and len(rows) == 56
    assert rows[1][4] == "'=HYPERLINK()"  # a formula is defused

    token = csrf_token(client, f"/segments/{segment.id}")
    gone = client.post(f"/segments/{segment.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    assert db.session.scalar(select(Segment.id)) is None


def test_edit_keeps_the_rules_and_updates_membership(client, alice, alice_org):
    org = alice_org.id
    ana = make_lead(org, "Ana", status="won", score=90)
    segment = make_segment(org, "Won", all_of(rule("status", "equals", "won")))
    login(client, alice)
    page = client.get(f"/segments/{segment.id}/edit").get_data(as_text=True)
    assert 'value="status" selected' in page and '<option value="won" selected>' in page
    token = csrf_token(client, f"/segments/{segment.id}/edit")
    data = _form(token, name="Warm", **_rule("1", "score", "less_than", "50"))
    assert client.post(f"/segments/{segment.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Segment, segment.id).member_count == 0
    assert ana.id


def test_a_contact_page_shows_and_edits_tags(client, alice, alice_org):
    ana = make_lead(alice_org.id, "Ana")
    db.session.commit()
    login(client, alice)
    assert f"/leads/{ana.id}/tags" in client.get(f"/leads/{ana.id}").get_data(as_text=True)
    token = csrf_token(client, f"/leads/{ana.id}")
    html = client.post(
        f"/leads/{ana.id}/tags", data={"csrf_token": token, "tag": "VIP"}, headers=HX
    ).get_data(as_text=True)
    assert '<span class="tag">vip</span>' in html
    too_long = client.post(
        f"/leads/{ana.id}/tags", data={"csrf_token": token, "tag": "x" * 51}, headers=HX
    )
    assert too_long.status_code == 422
    client.post(
        f"/leads/{ana.id}/tags/remove", data={"csrf_token": token, "tag": "vip"}, headers=HX
    )
    assert db.session.scalar(select(LeadTag.id)) is None


def test_another_workspaces_segments_and_contacts_are_404(client, alice, alice_org, charlie):
    segment = make_segment(alice_org.id, "Won", all_of(rule("status", "equals", "won")))
    ana = make_lead(alice_org.id, "Ana")
    db.session.commit()
    login(client, charlie)
    token = csrf_token(client, "/segments/new")
    for path in (
        f"/segments/{segment.id}",
        f"/segments/{segment.id}/edit",
        f"/segments/{segment.id}/export.csv",
        f"/leads/{ana.id}/tags",
    ):
        assert client.get(path).status_code == 404, path
    assert (
        client.post(f"/segments/{segment.id}/delete", data={"csrf_token": token}).status_code == 404
    )
    assert (
        client.post(
            "/segments/preview", data={**_form(token), "segment_id": segment.id}
        ).status_code
        == 404
    )
    # Charlie's rules cannot read Alice's segment either.
    refused = client.post(
        "/segments/new", data=_form(token, **_rule("1", "segment", "equals", str(segment.id)))
    )
    assert refused.status_code == 422 and "no such segment in this workspace" in refused.get_data(
        as_text=True
    )
    assert db.session.get(Segment, segment.id) is not None
    assert org_of(charlie).id != alice_org.id and START


def test_an_event_rule_and_a_custom_attribute_save_from_the_form(client, alice, alice_org):
    login(client, alice)
    token = csrf_token(client, "/segments")
    declared = client.post(
        "/segments/attributes",
        data={"csrf_token": token, "key": "plan", "label": "Plan", "type": "string"},
    )
    assert declared.status_code == 303
    bad_key = client.post(
        "/segments/attributes", data={"csrf_token": token, "key": "1 plan", "type": "string"}
    )
    assert bad_key.status_code == 422 and "A letter, then letters" in bad_key.get_data(as_text=True)
    data = _form(
        token,
        name="Gold buyers",
        **_rule("1", "event", "at_least", "2"),
        **{"event.1": "order.placed", "days.1": "30"},
        **_rule("2", "attr.plan", "equals", "gold"),
    )
    assert client.post("/segments/new", data=data).status_code == 303
    segment = db.session.scalars(select(Segment)).one()
    assert segment.rules["rules"][0] == {
        "kind": "rule",
        "field": "event",
        "operator": "at_least",
        "value": 2,
        "event": "order.placed",
        "days": 30,
    }
    assert segment.time_relative and segment.depends_on["attributes"] == ["plan"]
