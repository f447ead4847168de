"""How the inbox serves a search, alike on SQLite and PostgreSQL: the search index says
whether few or many leads hold the term; few are counted exactly, many are found by walking
the sort order and never counted (counting would read every match)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from tests.conftest import START, login
from webapp.core.extensions import db
from webapp.services.leads import search as lead_search
from webapp.services.leads import search_index
from webapp.services.leads.capture import capture_leads

HX = {"HX-Request": "true"}


def _ids(html):
    return [int(x) for x in re.findall(r'<tr id="lead-(\d+)"', html)]


@pytest.fixture
def smiths(alice_org, monkeypatch):
    """30 leads named Smith and 2 named Quill; more than 3 matches is "many"."""
    monkeypatch.setattr(lead_search, "FTS_FEW", 3)
    monkeypatch.setattr(lead_search, "FTS_CANDIDATES", 3)
    rows = [{"name": f"Smith {n}", "email": f"smith{n}@x{n}.com"} for n in range(30)]
    rows += [{"name": f"Quill {n}", "email": f"quill{n}@y{n}.com"} for n in range(2)]
    ids = []
    for n, row in enumerate(rows):  # one minute apart: newest first is the reverse order
        (outcome,) = capture_leads(
            db.session, alice_org.id, [row], source="form", now=START + timedelta(minutes=n)
        )
        ids.append(outcome.lead_id)
    db.session.commit()
    if not (search_index.fts_ready(db.session) or search_index.trgm_ready(db.session)):
        pytest.skip("needs a search index (FTS5 trigram or pg_trgm)")
    return ids[:30], ids[30:]


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_it_walks_a_common_term_and_never_counts_it(client, alice, smiths, statements):
    common, _rare = smiths
    login(client, alice)
    statements.clear()
    html = client.get("/leads?q=smith", headers=HX).get_data(as_text=True)
    assert _ids(html) == list(reversed(common))[:25]
    assert "Showing 1–25 of many leads matching “smith”" in html
    assert not [s for s in statements if "count(" in s and "leads" in s]
    rest = client.get("/leads?q=smith&page=2", headers=HX).get_data(as_text=True)
    assert _ids(rest) == list(reversed(common))[25:]
    assert "Showing 26–30 of 30 leads" in rest  # the last page tells its total
    by_score = client.get("/leads?q=smith&sort=score", headers=HX).get_data(as_text=True)
    assert len(_ids(by_score)) == 25 and "of many leads" in by_score


def test_it_counts_a_rare_term_exactly(client, alice, smiths):
    _common, rare = smiths
    login(client, alice)
    html = client.get("/leads?q=quill", headers=HX).get_data(as_text=True)
    assert _ids(html) == list(reversed(rare))
    assert "Showing 1–2 of 2 leads matching “quill”" in html
    oldest = client.get("/leads?q=quill&sort=oldest", headers=HX).get_data(as_text=True)
    assert _ids(oldest) == rare


def test_postgres_asks_pg_trgm_for_no_more_matches_than_it_needs(app, smiths):
    if not search_index.trgm_ready(db.session):
        pytest.skip("PostgreSQL with pg_trgm only")
    common, rare = smiths
    assert len(search_index.trgm_rowids(db.session, "smith", 3)) == 4
    assert sorted(search_index.trgm_rowids(db.session, "quill", 3)) == sorted(rare)
    assert search_index.trgm_rowids(db.session, "smith_", 3) == []  # "_" is no wildcard


def test_postgres_walks_an_index_holding_the_search_text(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (SQLite's walk index comes from migration 0004)")
    definition = db.session.scalar(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_search_walk'")
    )
    assert definition and definition.endswith("(org_id, created_at, id) INCLUDE (search_text)")


def test_postgres_asks_pg_trgm_for_the_rare_words_of_an_address_only(
    client, alice, alice_org, monkeypatch
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(search_index, "_samples", type(search_index._samples)())
    rows = [{"name": f"Person {n}", "email": f"person{n}@gmail.com"} for n in range(20)]
    rows += [{"name": "Zed Quill", "email": "zed.quill@gmail.com"}]
    rows += [{"name": "Quill Zed", "email": "quill.zed@gmail.com"}]  # the words, not the term
    outcomes = capture_leads(db.session, alice_org.id, rows, source="form", now=START)
    db.session.commit()
    if not search_index.trgm_ready(db.session):
        pytest.skip("needs pg_trgm")
    term = "zed.quill@gmail.com"
    words = search_index._rare_words(db.session, term)
    assert words and set(words) < {"zed", "quill", "gmail", "com"} and "gmail" not in words
    assert search_index.trgm_rowids(db.session, term, 3) == [outcomes[20].lead_id]
    login(client, alice)
    html = client.get("/leads", query_string={"q": term}, headers=HX).get_data(as_text=True)
    assert _ids(html) == [outcomes[20].lead_id] and "Showing 1–1 of 1 lead " in html
