"""SQLite write transactions: a transaction that read and then writes waits for the write
lock instead of failing with "database is locked", and never writes on stale reads (issue
10, item 1). PostgreSQL has no database-wide write lock: these are SQLite's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text

from webapp.core.db import WriteConflict, blind_writes, read, run_unit, write_engine
from webapp.core.extensions import db
from webapp.models import Organization


@pytest.fixture(autouse=True)
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the database-wide write lock is SQLite's")


@contextmanager
def write_lock_held(
    release_after: float | None = None, commit: str | None = None
) -> Iterator[None]:
    """Another connection holds the write lock (BEGIN IMMEDIATE) from entry until exit, or
    for `release_after` seconds; it commits the statement `commit` if given, else rolls back."""
    ready, release = threading.Event(), threading.Event()
    engine = write_engine(db.engine)

    def hold() -> None:
        with engine.connect() as conn:
            conn.begin()
            if commit:
                conn.execute(text(commit))
            ready.set()
            release.wait(release_after if release_after is not None else 30)
            conn.commit() if commit else conn.rollback()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(10)


def test_a_transaction_that_read_waits_for_the_lock_at_its_first_write(alice_org):
    org_id = alice_org.id
    db.session.remove()
    org = db.session.get(Organization, org_id)  # a read transaction is open
    with write_lock_held(release_after=0.4):
        started = time.monotonic()
        org.name = "Alice Bakes & Co"
        db.session.commit()  # SQLite's own upgrade failed here at once: "database is locked"
        waited = time.monotonic() - started
    assert waited >= 0.3
    db.session.remove()
    assert db.session.get(Organization, org_id).name == "Alice Bakes & Co"


def test_a_write_on_stale_reads_is_refused_and_the_unit_runs_again_on_fresh_data(alice_org):
    org_id = alice_org.id
    db.session.remove()
    attempts = []

    def rename() -> None:
        org = db.session.get(Organization, org_id)
        attempts.append(org.name)
        if len(attempts) == 1:  # another process renames it between our read and our write
            with write_lock_held(
                release_after=0,
                commit=f"UPDATE organizations SET name = 'Alice Cakes' WHERE id = {org_id}",
            ):
                pass
        org.name = org.name + " Ltd"
        db.session.commit()

    run_unit(db.session, rename)

    assert attempts == ["Alice Bakes", "Alice Cakes"]
    db.session.remove()
    assert db.session.get(Organization, org_id).name == "Alice Cakes Ltd"  # no lost update


def test_a_core_read_in_the_unit_run_again_holds_the_write_lock_from_its_start(alice_org):
    """`read` skips the ORM's events, so it begins the retry's write transaction itself:
    no other writer can slip in between the retry's reads and its write."""
    org_id = alice_org.id
    db.session.remove()
    locked = []

    def rename() -> None:
        name = read(db.session, select(Organization.name).where(Organization.id == org_id))
        name = name.scalar()
        locked.append(db.session.connection().info["autopilot_txn"].locked)
        if len(locked) == 1:
            with write_lock_held(
                release_after=0,
                commit=f"UPDATE organizations SET name = 'Alice Cakes' WHERE id = {org_id}",
            ):
                pass
        db.session.get(Organization, org_id).name = name + " Ltd"
        db.session.commit()

    run_unit(db.session, rename)

    assert locked == [False, True]
    db.session.remove()
    assert db.session.get(Organization, org_id).name == "Alice Cakes Ltd"


def test_the_conflict_is_raised_when_the_unit_already_committed_a_write(alice_org):
    org_id = alice_org.id
    db.session.remove()

    def two_commits() -> None:
        org = db.session.get(Organization, org_id)
        org.timezone = "Europe/Paris"
        db.session.commit()  # kept: running the unit again would do it twice
        org = db.session.get(Organization, org_id)
        with write_lock_held(
            release_after=0, commit=f"UPDATE organizations SET name = 'X' WHERE id = {org_id}"
        ):
            pass
        org.name = "Y"
        db.session.commit()

    with pytest.raises(WriteConflict):
        run_unit(db.session, two_commits)
    db.session.rollback()
    assert db.session.scalar(select(Organization.name).where(Organization.id == org_id)) == "X"


def test_a_transaction_whose_first_statement_writes_waits_and_needs_no_check(alice_org):
    org_id = alice_org.id
    db.session.remove()
    with write_lock_held(release_after=0.3, commit="UPDATE organizations SET timezone = 'UTC'"):
        db.session.execute(
            text("UPDATE organizations SET name = 'First' WHERE id = :id"), {"id": org_id}
        )
        db.session.commit()
    assert db.session.get(Organization, org_id).name == "First"


def test_a_view_whose_reads_went_stale_runs_again_and_answers(app, client, alice_org):
    org_id = alice_org.id
    attempts = []

    def rename():
        org = db.session.get(Organization, org_id)
        attempts.append(org.name)
        if len(attempts) == 1:  # another process renames it between our read and our write
            stmt = f"UPDATE organizations SET name = 'Alice Cakes' WHERE id = {org_id}"
            with write_lock_held(release_after=0, commit=stmt):
                pass
        org.name = org.name + " Ltd"
        db.session.commit()
        return org.name

    # Registered as the app registers its own views: each one a unit that may run again.
    from webapp.web import _rerun_on_conflict

    app.add_url_rule("/_test/rename", "rename", _rerun_on_conflict(rename), methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    db.session.remove()

    response = client.post("/_test/rename")

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "Alice Cakes Ltd"
    assert attempts == ["Alice Bakes", "Alice Cakes"]


def test_blind_writes_go_ahead_after_another_commit_and_keep_it(alice_org, bob):
    """Writes declared independent of the reads (a sign-in stamp after the limiter committed
    its count) take the lock without the staleness check: no WriteConflict, and the other
    connection's commit stays."""
    org_id, bob_id = alice_org.id, bob.id
    db.session.remove()
    org = db.session.get(Organization, org_id)  # a read transaction is open
    with write_lock_held(
        release_after=0,
        commit=f"UPDATE organizations SET name = 'Alice Cakes' WHERE id = {org_id}",
    ):
        pass
    blind_writes(db.session)
    db.session.execute(text(f"UPDATE users SET name = 'Bob B' WHERE id = {bob_id}"))
    db.session.commit()
    assert org.name == "Alice Cakes"  # reloaded after the commit
    db.session.remove()
    assert db.session.scalar(text(f"SELECT name FROM users WHERE id = {bob_id}")) == "Bob B"


def test_without_blind_writes_the_same_write_is_a_conflict(alice_org, bob):
    org_id, bob_id = alice_org.id, bob.id
    db.session.remove()
    db.session.get(Organization, org_id)
    with write_lock_held(
        release_after=0,
        commit=f"UPDATE organizations SET name = 'Alice Cakes' WHERE id = {org_id}",
    ):
        pass
    with pytest.raises(WriteConflict):
        db.session.execute(text(f"UPDATE users SET name = 'Bob B' WHERE id = {bob_id}"))
    db.session.rollback()
