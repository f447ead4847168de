"""The lead inbox over HTTP: search, filters, sort, pages, htmx partials, inline status,
the lead page, adding by hand, the CSV export, and workspace isolation."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import START, csrf_token, login, org_of
from webapp.core.extensions import db
from webapp.models import ActivityLog, Lead, LeadEvent
from webapp.services.leads.capture import capture_lead

HX = {"HX-Request": "true"}


def _lead(org, n=0, **data):
    data.setdefault("email", f"person{n}@example{n}.com")
    lead, _ = capture_lead(
        db.session,
        org.id,
        data,
        source=data.pop("via", "form"),
        now=data.pop("at", START + timedelta(minutes=n)),
    )
    db.session.commit()
    return lead


def _ids(html):
    return [int(x) for x in re.findall(r'<tr id="lead-(\d+)"', html)]


def test_it_shows_the_three_ways_leads_arrive_when_empty(client, alice):
    login(client, alice)
    html = client.get("/leads").get_data(as_text=True)
    assert "No leads yet" in html
    assert "/f/" in html and "/api/v1/leads" in html and "/leads/import" in html
    assert 'id="lead-filters"' not in html


def test_it_lists_newest_first_and_pages(client, alice, alice_org):
    leads = [_lead(alice_org, n) for n in range(30)]
    login(client, alice)
    html = client.get("/leads").get_data(as_text=True)
    assert _ids(html) == [lead.id for lead in reversed(leads)][:25]
    assert "Showing 1–25 of 30 leads" in html
    second = client.get("/leads?page=2", headers=HX).get_data(as_text=True)
    assert "<html" not in second
    assert _ids(second) == [lead.id for lead in reversed(leads)][25:]
    assert "Showing 26–30 of 30 leads" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_it_searches_names_emails_companies_and_phones(client, alice, alice_org):
    ana = _lead(alice_org, 1, name="Ana Lima", email="ana@limaltd.com", company="Lima Ltd")
    bea = _lead(alice_org, 2, name="Bea Cruz", email="bea@cruz.io", phone="+447911123456")
    _lead(alice_org, 3, name="Carl Diaz", email="carl@diaz.org")
    login(client, alice)

    def found(q):
        return _ids(client.get("/leads", query_string={"q": q}, headers=HX).get_data(as_text=True))

    assert found("lima") == [ana.id]
    assert found("LIMA LTD") == [ana.id]
    assert found("cruz.io") == [bea.id]
    assert found("07911 123456") == [bea.id]  # typed the local way, stored as +44…
    assert found("123456") == [bea.id]
    assert found("nobody-like-this") == []
    html = client.get("/leads?q=zz", headers=HX).get_data(as_text=True)
    assert "Type at least 3 characters" in html and len(_ids(html)) == 3


def test_it_searches_a_common_term_without_counting_every_match(
    client, alice, alice_org, monkeypatch
):
    from webapp.services.leads import search as lead_search
    from webapp.services.leads.capture import capture_leads

    # Make "common" cheap to reach: more than 3 matches takes the walking paths on SQLite.
    monkeypatch.setattr(lead_search, "FTS_FEW", 3)
    monkeypatch.setattr(lead_search, "FTS_CANDIDATES", 3)
    rows = [{"name": f"Smith {n}", "email": f"smith{n}@x{n}.com"} for n in range(30)]
    rows += [{"name": "Other", "email": "other@y.com"}]
    outcomes = capture_leads(db.session, alice_org.id, rows, source="form", now=START)
    db.session.commit()
    smiths = [o.lead_id for o in outcomes[:30]]
    db.session.get(Lead, smiths[0]).status = "won"
    db.session.commit()
    login(client, alice)
    html = client.get("/leads?q=smith", headers=HX).get_data(as_text=True)
    assert _ids(html) == sorted(smiths, reverse=True)[:25]
    assert "Showing 1–25 of " in html and "matching “smith”" in html
    rest = client.get("/leads?q=smith&page=2", headers=HX).get_data(as_text=True)
    assert _ids(rest) == sorted(smiths, reverse=True)[25:]
    assert "Showing 26–30 of 30 leads" in rest
    assert _ids(client.get("/leads?q=smith&status=won", headers=HX).get_data(as_text=True)) == [
        smiths[0]
    ]
    by_score = _ids(client.get("/leads?q=smith&sort=name", headers=HX).get_data(as_text=True))
    assert len(by_score) == 25 and "Other" not in client.get("/leads?q=smith&sort=name").get_data(
        as_text=True
    )


def test_it_filters_by_status_source_score_and_date(client, alice, alice_org):
    early = _lead(
        alice_org,
        1,
        name="Early Bird",
        email="early@firm.com",
        source="referral",
        phone="+447911123456",
        company="Firm",
        at=START - timedelta(days=3),
    )
    late = _lead(alice_org, 2, email="late@gmail.com", source="csv")
    late.status = "won"
    db.session.commit()
    login(client, alice)

    def found(**args):
        return _ids(client.get("/leads", query_string=args, headers=HX).get_data(as_text=True))

    assert found(status="won") == [late.id]
    assert found(source="referral") == [early.id]
    assert found(min_score=50) == [early.id]
    day = (START - timedelta(days=3)).date().isoformat()
    assert found(since=day, until=day) == [early.id]
    assert found(since=START.date().isoformat()) == [late.id]
    html = client.get("/leads?since=2026-11-10&until=2026-11-01").get_data(as_text=True)
    assert "must be on or after" in html
    assert client.get("/leads?min_score=abc&status=bogus&page=-3").status_code == 200


def test_it_sorts_by_score_name_and_age(client, alice, alice_org):
    low = _lead(alice_org, 1, name="Zed", email="zed@gmail.com", source="csv")
    high = _lead(
        alice_org,
        2,
        name="Amy Adams",
        email="amy@adams.com",
        phone="+447911123456",
        source="referral",
    )
    login(client, alice)

    def order(sort):
        return _ids(
            client.get("/leads", query_string={"sort": sort}, headers=HX).get_data(as_text=True)
        )

    assert order("score") == [high.id, low.id]
    assert order("name") == [high.id, low.id]
    assert order("oldest") == [low.id, high.id]
    assert order("newest") == [high.id, low.id]


def test_it_changes_a_status_inline(client, alice, alice_org):
    lead = _lead(alice_org, 1)
    login(client, alice)
    token = csrf_token(client, "/leads")
    response = client.post(
        f"/leads/{lead.id}/status",
        data={"status": "contacted"},
        headers={**HX, "X-CSRFToken": token},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and html.strip().startswith(f'<tr id="lead-{lead.id}"')
    assert '<option value="contacted" selected>' in html and "Saved" in html
    assert "lead-changed" in response.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).status == "contacted"
    assert (
        db.session.scalars(select(LeadEvent).where(LeadEvent.type == "status_changed"))
        .one()
        .actor_id
        == alice.id
    )

    bad = client.post(
        f"/leads/{lead.id}/status",
        data={"status": "archived"},
        headers={**HX, "X-CSRFToken": token},
    )
    assert bad.status_code == 422 and "Choose one of the statuses" in bad.get_data(as_text=True)


def test_it_refuses_a_status_change_without_the_csrf_token(client, alice, alice_org):
    lead = _lead(alice_org, 1)
    login(client, alice)
    response = client.post(f"/leads/{lead.id}/status", data={"status": "won"}, headers=HX)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).status == "new"


def test_it_shows_a_lead_with_score_reasons_timeline_and_notes(client, alice, alice_org):
    lead = _lead(alice_org, 1, name="Ana Lima", email="ana@limaltd.com", message="<b>Call me</b>")
    _lead(alice_org, 1, email="ana@limaltd.com", phone="+447911123456")  # merges
    login(client, alice)
    html = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Ana Lima" in html and "Email at a business domain (limaltd.com)" in html
    assert "Got in touch again (2 times)" in html
    assert html.count('class="feed-item"') == 2  # created + merged
    assert "&lt;b&gt;Call me&lt;/b&gt;" in html  # what a visitor typed is escaped

    token = csrf_token(client, f"/leads/{lead.id}")
    response = client.post(
        f"/leads/{lead.id}/notes", data={"notes": "Wants a quote", "csrf_token": token}
    )
    assert response.status_code == 302
    html = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Wants a quote" in html and "added the notes" in html

    detail = client.post(
        f"/leads/{lead.id}/status",
        data={"status": "won", "view": "detail"},
        headers={**HX, "X-CSRFToken": token},
    )
    assert detail.get_data(as_text=True).strip().startswith('<div id="lead-status"')


def test_it_adds_a_lead_by_hand_and_reports_field_errors(client, alice, alice_org):
    login(client, alice)
    token = csrf_token(client, "/leads/new")
    bad = client.post("/leads/new", data={"name": "Nobody", "csrf_token": token})
    assert bad.status_code == 422
    assert "Enter an email or a phone number" in bad.get_data(as_text=True)
    bad = client.post("/leads/new", data={"email": "broken@", "csrf_token": token})
    assert bad.status_code == 422 and "Invalid email" in bad.get_data(as_text=True)
    ok = client.post(
        "/leads/new",
        data={"name": "Dee", "email": "dee@dee.com", "source": "Trade Fair", "csrf_token": token},
    )
    assert ok.status_code == 302
    lead = db.session.scalars(select(Lead)).one()
    assert lead.source == "trade_fair"
    assert (
        db.session.scalars(select(ActivityLog).where(ActivityLog.type == "lead.captured"))
        .one()
        .actor_id
        == alice.id
    )


def test_it_exports_the_filtered_view_with_the_formula_guard(client, alice, alice_org):
    _lead(alice_org, 1, name='=HYPERLINK("evil")', email="evil@bad.com", company="@corp")
    _lead(alice_org, 2, name="Plain Person", email="plain@person.com", source="csv")
    login(client, alice)
    response = client.get("/leads/export.csv?source=form")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "name", "email", "phone"]
    assert len(rows) == 2  # only the "form" lead
    assert rows[1][1] == '\'=HYPERLINK("evil")'
    assert rows[1][4] == "'@corp"
    everything = list(
        csv.reader(io.StringIO(client.get("/leads/export.csv").get_data(as_text=True)))
    )
    assert len(everything) == 3


def test_it_shows_nothing_of_another_workspace(client, alice, alice_org, charlie):
    mine = _lead(alice_org, 1, name="Alice Customer", email="cust@alice.com")
    theirs = _lead(org_of(charlie), 2, name="Charlie Customer", email="cust@charlie.com")
    login(client, charlie)
    html = client.get("/leads").get_data(as_text=True)
    assert _ids(html) == [theirs.id]
    assert "Alice Customer" not in client.get("/leads?q=customer").get_data(as_text=True)
    assert "cust@alice.com" not in client.get("/leads/export.csv").get_data(as_text=True)
    assert client.get(f"/leads/{mine.id}").status_code == 404


def test_it_lets_staff_work_the_inbox(client, bob, alice_org):
    lead = _lead(alice_org, 1)
    login(client, bob)
    token = csrf_token(client, "/leads")
    response = client.post(
        f"/leads/{lead.id}/status",
        data={"status": "qualified"},
        headers={**HX, "X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_it_finds_a_lead_by_what_a_merge_added(client, alice, alice_org):
    lead = _lead(alice_org, 1, email="quiet@firm.com")
    _lead(
        alice_org, 1, email="quiet@firm.com", company="Zebracorp Holdings"
    )  # merges: search text changes
    login(client, alice)
    assert _ids(client.get("/leads?q=zebracorp", headers=HX).get_data(as_text=True)) == [lead.id]
    db.session.delete(db.session.get(Lead, lead.id))
    db.session.commit()
    assert _ids(client.get("/leads?q=zebracorp", headers=HX).get_data(as_text=True)) == []
