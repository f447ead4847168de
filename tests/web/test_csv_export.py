"""The lead CSV export against formula injection, as spreadsheets really split and read it:
a `;` or tab or line break inside a cell starts a new cell for some readers, and only a
piece that would become a formula gets a quote (numbers and ordinary phones stay clean)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import START, login
from webapp.core.extensions import db
from webapp.services.leads.capture import capture_lead
from webapp.services.leads.csv_export import safe_cell


@pytest.mark.parametrize(
    ("cell", "exported"),
    [
        ("Bob;=1+1", "Bob;'=1+1"),  # a `;` locale opens "=1+1" as its own cell
        ('x;=HYPERLINK("http://evil")', 'x;\'=HYPERLINK("http://evil")'),
        ("Ana\t@SUM(A1)", "Ana\t'@SUM(A1)"),
        ("Ana\n+1+1", "Ana\n'+1+1"),
        ("Bob, -2+3", "Bob, '-2+3"),
        ("  =1+1", "  '=1+1"),  # leading spaces do not stop a formula
        ('"=1+1"', '"\'=1+1"'),
        ("=1+1", "'=1+1"),
        ("@corp", "'@corp"),
        ("+14155550100", "'+14155550100"),  # a spreadsheet would make it =+14155550100
        ("-5", "-5"),  # a number, not a formula
        ("-12.50", "-12.50"),
        ("Bob;-5", "Bob;-5"),
        ("0044 20 7946 0018", "0044 20 7946 0018"),
        ("(415) 555-0100", "(415) 555-0100"),
        ("Plain; text, here", "Plain; text, here"),
        (None, ""),
        (42, "42"),
    ],
)
def test_it_escapes_only_what_a_spreadsheet_would_evaluate(cell, exported):
    assert safe_cell(cell) == exported


def test_the_export_escapes_a_formula_after_a_semicolon(client, alice, alice_org):
    capture_lead(
        db.session,
        alice_org.id,
        {
            "full_name": "Bob;=1+1",
            "email": "bob@example.com",
            "company": "-5",
            "phone": "+14155550100",
        },
        source="form",
        now=START,
    )
    db.session.commit()
    login(client, alice)
    rows = list(csv.DictReader(io.StringIO(client.get("/leads/export.csv").get_data(as_text=True))))
    assert rows[0]["name"] == "Bob;'=1+1"
    assert rows[0]["company"] == "-5"
    assert rows[0]["phone"] == "'+14155550100"
