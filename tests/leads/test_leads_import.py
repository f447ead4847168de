"""CSV import: upload, preview with the detected mapping, the import in batches with a per-row
report, merges counted, delimiters and encodings; the service on a large file."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import START, csrf_token, login
from webapp.core.extensions import db
from webapp.models import ActivityLog, Lead
from webapp.services.leads import csv_import as lead_import
from webapp.services.leads.capture import capture_lead
from webapp.services.leads.import_files import ImportStore

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path):
    """Uploads go to the test's own folder, not the instance folder."""
    app.config["LEAD_IMPORT_DIR"] = str(tmp_path / "imports")


GOOD_AND_BAD = (
    "Name;E-mail;Mobile;Company;Notes\n"
    "Ana Lima;ana@limaltd.com;07911 123456;Lima Ltd;first\n"
    "No Contact;;;Nowhere;no way to reach\n"
    "Bad Mail;bad@@mail;;;typo\n"
    ";;;;\n"
    "Bea Cruz;bea@cruz.io;;Cruz;second\n"
    "Ana Again;ANA@limaltd.com;;;duplicate in the file\n"
)


def _upload(client, content: bytes, name="leads.csv"):
    token = csrf_token(client, "/leads/import")
    return client.post(
        "/leads/import",
        data={"file": (io.BytesIO(content), name), "csrf_token": token},
        content_type="multipart/form-data",
    )


def _token(response) -> str:
    return re.search(r"/leads/import/([A-Za-z0-9_-]+)$", response.headers["Location"]).group(1)


def _run_to_the_end(client, token: str) -> str:
    csrf = csrf_token(client, f"/leads/import/{token}")
    html = ""
    for _ in range(50):
        html = client.post(
            f"/leads/import/{token}/run", headers={**HX, "X-CSRFToken": csrf}
        ).get_data(as_text=True)
        if "Import finished" in html:
            return html
    raise AssertionError("the import did not finish")


def test_it_previews_with_the_detected_mapping(client, alice):
    login(client, alice)
    response = _upload(client, ("\ufeff" + GOOD_AND_BAD).encode())
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "5 rows of leads" in html  # the blank row is not counted
    assert "separated by “;”" in html
    assert "Ana Lima" in html and "Bea Cruz" in html
    # Name -> name, E-mail -> email, Mobile -> phone, Company -> company, Notes -> ignore
    selected = re.findall(
        r'<select id="col(\d)" name="col\d">.*?<option value="(\w+)" selected>', html, re.S
    )
    assert selected == [
        ("0", "name"),
        ("1", "email"),
        ("2", "phone"),
        ("3", "company"),
        ("4", "ignore"),
    ]
    assert "\ufeff" not in html


def test_it_imports_good_rows_and_reports_bad_ones_by_row_number(client, alice, alice_org):
    capture_lead(db.session, alice_org.id, {"email": "bea@cruz.io"}, source="manual", now=START)
    db.session.commit()
    login(client, alice)
    token = _token(_upload(client, GOOD_AND_BAD.encode()))
    csrf = csrf_token(client, f"/leads/import/{token}")
    mapping = {
        "col0": "name",
        "col1": "email",
        "col2": "phone",
        "col3": "company",
        "col4": "ignore",
        "csrf_token": csrf,
    }
    started = client.post(f"/leads/import/{token}", data=mapping)
    assert started.status_code == 302
    page = client.get(f"/leads/import/{token}").get_data(as_text=True)
    assert "Importing…" in page and f"/leads/import/{token}/run" in page

    report = _run_to_the_end(client, token)
    assert "<html" not in report
    assert re.search(r"<strong>1</strong> new lead\b", report)  # Ana; Bea was already there
    assert re.search(r"<strong>2</strong> merged", report)  # Bea, and Ana's second row
    assert re.search(r"<strong>2</strong> rows with problems", report)
    assert re.search(r"<strong>1</strong> empty row skipped", report)
    assert "<td>3</td><td>no email or phone</td>" in report
    assert "<td>4</td><td>invalid email" in report

    emails = set(db.session.scalars(select(Lead.email)))
    assert emails == {"ana@limaltd.com", "bea@cruz.io"}
    ana = db.session.scalars(select(Lead).where(Lead.email == "ana@limaltd.com")).one()
    assert ana.phone == "+447911123456" and ana.company == "Lima Ltd" and ana.source == "csv"
    summary = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "leads.imported")
    ).one()
    assert summary.details == {
        "file": "leads.csv",
        "created": 1,
        "merged": 2,
        "failed": 2,
        "blank": 1,
    }
    # One summary row, not one per lead (the one "lead.captured" is Bea's, added by hand).
    assert (
        db.session.scalar(
            select(func.count()).select_from(ActivityLog).where(ActivityLog.type == "lead.captured")
        )
        == 1
    )

    again = client.post(f"/leads/import/{token}/run", headers={**HX, "X-CSRFToken": csrf}).get_data(
        as_text=True
    )
    assert "Import finished" in again
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 2


def test_it_lets_the_mapping_be_changed(client, alice):
    login(client, alice)
    token = _token(_upload(client, b"who,contact\nAna,ana@x.com\n"))
    csrf = csrf_token(client, f"/leads/import/{token}")
    refused = client.post(
        f"/leads/import/{token}", data={"col0": "name", "col1": "ignore", "csrf_token": csrf}
    )
    assert refused.status_code == 422
    assert "Choose the column with the email or the phone number" in refused.get_data(as_text=True)
    twice = client.post(
        f"/leads/import/{token}", data={"col0": "email", "col1": "email", "csrf_token": csrf}
    )
    assert twice.status_code == 422 and "chosen twice" in twice.get_data(as_text=True)
    client.post(
        f"/leads/import/{token}", data={"col0": "name", "col1": "email", "csrf_token": csrf}
    )
    _run_to_the_end(client, token)
    lead = db.session.scalars(select(Lead)).one()
    assert (lead.full_name, lead.email) == ("Ana", "ana@x.com")


def test_it_reads_commas_and_windows_encoding(client, alice):
    login(client, alice)
    content = "name,email\nJosé Núñez,jose@nunez.es\n".encode("cp1252")
    token = _token(_upload(client, content))
    html = client.get(f"/leads/import/{token}").get_data(as_text=True)
    assert "José Núñez" in html and "separated by “,”" in html


def test_it_refuses_files_it_cannot_read(client, alice):
    login(client, alice)
    assert "The file is empty" in _upload(client, b"").get_data(as_text=True)
    assert "no leads under it" in _upload(client, b"name,email\n").get_data(as_text=True)
    assert "not text" in _upload(client, b"\x00\x01\x02\xff\xfe" * 100).get_data(as_text=True)
    assert _upload(client, b"").status_code == 422


def test_it_keeps_imports_to_their_workspace(client, alice, charlie):
    login(client, alice)
    token = _token(_upload(client, b"email\nana@x.com\n"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/leads")})
    login(client, charlie)
    assert client.get(f"/leads/import/{token}").status_code == 404
    assert client.get("/leads/import/not-a-token").status_code == 404


def test_it_imports_a_large_file_in_batches(app, alice_org, tmp_path):
    rows = ["first name,last name,email,phone,source"]
    for n in range(3000):
        email = f"person{n % 2900}@company{n % 50}.com"  # the last 100 repeat earlier ones
        rows.append(f"P{n},Q{n},{email},,{'referral' if n % 3 else 'csv'}")
    rows.insert(1500, "Broken,Row,not-an-email,,")
    store = ImportStore(tmp_path)
    token = store.save_upload(
        alice_org.id, "big.csv", io.BytesIO("\n".join(rows).encode()), now=START
    )
    state = lead_import.start_import(
        store, alice_org.id, token, ["first", "last", "email", "phone", "source"]
    )
    commits = []

    def commit():
        commits.append(state.next_row)
        db.session.commit()

    lead_import.run_import(
        db.session,
        store,
        token,
        state,
        now=START,
        actor_id=None,
        actor_name="Test",
        commit=commit,
        budget_seconds=120,
        batch_rows=500,
    )
    assert state.done
    assert (state.created, state.merged, state.failed) == (2900, 100, 1)
    assert state.errors[0][0] == 1501  # the header is row 1
    assert len(commits) == 7  # 3,001 rows in batches of 500: one transaction each
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 2900


def test_re_importing_an_export_updates_leads_without_raising_their_scores(
    app, alice_org, tmp_path
):
    from zoneinfo import ZoneInfo

    from webapp.services.leads import LeadFilter, export_csv, iter_leads

    for n, name in enumerate(("Ana Diaz", "Ben Ode", "Cy Park")):
        capture_lead(
            db.session, alice_org.id, {"full_name": name, "email": f"p{n}@shop.example"},
            source="form", now=START,
        )  # fmt: skip
    db.session.commit()
    before = dict(db.session.execute(select(Lead.id, Lead.score)).all())
    leads = iter_leads(db.session, alice_org.id, None, LeadFilter(tz="UTC"), "oldest")
    exported = "".join(export_csv(leads, ZoneInfo("UTC"))).encode()
    store = ImportStore(tmp_path)
    token = store.save_upload(alice_org.id, "export.csv", io.BytesIO(exported), now=START)
    preview = lead_import.preview(store, alice_org.id, token)
    state = lead_import.start_import(store, alice_org.id, token, preview.mapping)
    lead_import.run_import(
        db.session, store, token, state, now=START, actor_id=None, actor_name="Test",
        commit=db.session.commit, budget_seconds=60, batch_rows=500,
    )  # fmt: skip
    assert (state.created, state.merged, state.failed) == (0, 3, 0)
    db.session.expire_all()
    assert dict(db.session.execute(select(Lead.id, Lead.score)).all()) == before
    for lead in db.session.scalars(select(Lead)):
        assert not any("again" in r["reason"] for r in lead.score_reasons)
    # A person who writes again through the form still counts as renewed interest.
    capture_lead(db.session, alice_org.id, {"email": "p0@shop.example"}, source="form", now=START)
    ana = db.session.scalars(select(Lead).where(Lead.email == "p0@shop.example")).one()
    assert ana.score == before[ana.id] + 10
