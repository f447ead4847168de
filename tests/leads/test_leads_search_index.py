"""The inbox's search over SQLite's trigram index: a long term asks the index for a few of
its rarest trigrams, and only leads holding the whole term are shown."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import START, login
from webapp.core.extensions import db
from webapp.services.leads import search_index
from webapp.services.leads.capture import capture_lead

HX = {"HX-Request": "true"}
TERM = "quixote lima"


def _lead(org, n, **data):
    data.setdefault("email", f"person{n}@example{n}.com")
    lead, _ = capture_lead(
        db.session, org.id, data, source="form", now=START + timedelta(minutes=n)
    )
    db.session.commit()
    return lead


def _ids(html):
    return [int(x) for x in re.findall(r'<tr id="lead-(\d+)"', html)]


@pytest.fixture
def leads(alice_org):
    if not search_index.fts_ready(db.session):
        pytest.skip("SQLite's trigram search index only")
    target = _lead(alice_org, 1, name="Quixote Lima")
    # Holds every trigram of the term, but not the term: the index alone cannot tell.
    decoy = _lead(alice_org, 2, name="Ote Lima Quixote")
    for n in range(3, 8):
        _lead(alice_org, n, name=f"Ana Lima {n}")
    return target, decoy


def test_a_long_term_asks_the_index_for_a_few_rare_trigrams_not_the_phrase(leads):
    expression, candidates = search_index.match_expression(db.session, TERM)
    trigrams = re.findall(r'"([^"]*)"', expression)
    assert TERM not in trigrams and 2 <= len(trigrams) <= search_index.RARE_TRIGRAMS
    assert all(len(t) == 3 and t in TERM for t in trigrams)
    starts = sorted(TERM.index(t) for t in trigrams)
    assert all(b - a >= 3 for a, b in zip(starts, starts[1:], strict=False))  # no overlap
    assert sorted(candidates) == sorted(
        lead.id for lead in leads
    )  # the target and the decoy: the caller tests the whole term


def test_a_short_term_is_asked_as_the_phrase(leads):
    assert search_index.match_expression(db.session, "lima") == ('"lima"', None)


def test_the_inbox_shows_only_leads_holding_the_whole_term(client, alice, leads):
    target, _decoy = leads
    login(client, alice)
    html = client.get("/leads", query_string={"q": TERM}, headers=HX).get_data(as_text=True)
    assert _ids(html) == [target.id]
    assert "Showing 1–1 of 1 lead " in html


def test_common_trigrams_together_fall_back_to_the_phrase(client, alice, leads, monkeypatch):
    target, _decoy = leads
    monkeypatch.setattr(search_index, "CANDIDATES_MAX", 1)
    assert search_index.match_expression(db.session, TERM) == (f'"{TERM}"', None)
    login(client, alice)
    html = client.get("/leads", query_string={"q": TERM}, headers=HX).get_data(as_text=True)
    assert _ids(html) == [target.id]
