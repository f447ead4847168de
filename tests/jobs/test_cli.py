"""The `autopilot` command: jobs list/run, user create, demo, and the real console script."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text
from werkzeug.security import check_password_hash

from jobs.periods import Daily
from jobs.schedule import JobSpec
from webapp import MIGRATIONS_DIR
from webapp.core.extensions import db
from webapp.models import JobRun, Membership, Organization, User
from webapp.services.ops.system_health import migration_heads

ROOT = Path(__file__).resolve().parents[2]
LOGIN_LINE = re.compile(r"Sign in at (\S+)/login as demo@example\.com with password (\S+)")


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def create_user(
    app, *extra: str, email: str = "olive@example.com", password: str = "long enough pw"
):
    return invoke(
        app,
        "user",
        "create",
        "--email",
        email,
        "--name",
        "Olive Owner",
        "--password",
        password,
        *extra,
    )


# --- jobs ---------------------------------------------------------------------------------


def test_it_lists_the_jobs_with_their_schedules(app):
    result = invoke(app, "jobs", "list")

    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("housekeeping")]
    assert "Every hour at :05" in line
    assert "next 2026-11-23 10:05 UTC" in line  # the test clock reads Monday 10:00 UTC
    assert "Housekeeping" in line


def test_it_runs_a_job_by_name(app):
    result = invoke(app, "jobs", "run", "housekeeping")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "housekeeping: succeeded"
    [run] = db.session.scalars(select(JobRun)).all()
    assert (run.job, run.trigger, run.status) == ("housekeeping", "cli", "succeeded")


def test_it_refuses_an_unknown_job_with_the_known_ones(app):
    result = invoke(app, "jobs", "run", "nope")

    assert result.exit_code == 2
    assert "no job 'nope'" in result.output
    assert "try: housekeeping" in result.output
    assert db.session.scalars(select(JobRun)).all() == []


def test_it_exits_non_zero_when_the_job_fails(app):
    def breaks(ctx) -> dict:
        raise RuntimeError("no paper")

    app.extensions["jobs"].specs["breaks"] = JobSpec(
        name="breaks", title="Breaks", description="", schedule=Daily(2), func=breaks
    )
    result = invoke(app, "jobs", "run", "breaks")

    assert result.exit_code == 1
    assert "breaks: failed RuntimeError: no paper" in result.output


# --- user create --------------------------------------------------------------------------


def test_it_creates_an_owner_with_a_workspace(app):
    result = create_user(app, "--workspace", "Olive Oils", "--timezone", "Europe/Paris")

    assert result.exit_code == 0, result.output
    assert "Created owner user olive@example.com." in result.output
    user = db.session.scalars(select(User).where(User.email == "olive@example.com")).one()
    assert check_password_hash(user.password_hash, "long enough pw")
    [membership] = user.memberships
    assert membership.role == "owner"
    org = db.session.get(Organization, membership.org_id)
    assert (org.name, org.timezone) == ("Olive Oils", "Europe/Paris")


def test_it_names_the_workspace_after_the_owner_by_default(app):
    assert create_user(app).exit_code == 0
    assert db.session.scalars(select(Organization.name)).all() == ["Olive Owner's workspace"]


def test_it_creates_support_users_in_one_support_workspace(app):
    first = create_user(app, "--role", "support")
    second = create_user(app, "--role", "support", email="sam@example.com")

    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    assert "Created support user" in first.output
    assert db.session.scalars(select(Organization.name)).all() == ["Support"]
    roles = db.session.scalars(select(Membership.role)).all()
    assert roles == ["support", "support"]


def test_it_rejects_a_short_password(app):
    result = create_user(app, password="short")

    assert result.exit_code == 2
    assert "use at least 8 characters" in result.output
    assert db.session.scalars(select(User)).all() == []


def test_it_rejects_an_unknown_timezone(app):
    result = create_user(app, "--timezone", "Mars/Olympus_Mons")

    assert result.exit_code == 2
    assert "unknown timezone 'Mars/Olympus_Mons'" in result.output
    assert db.session.scalars(select(User)).all() == []


def test_it_rejects_an_email_already_taken(app, alice):
    result = create_user(app, email="Alice@Example.com")

    assert result.exit_code == 1
    assert "already exists" in result.output
    assert len(db.session.scalars(select(User)).all()) == 1


# --- demo ---------------------------------------------------------------------------------


def test_it_creates_the_demo_workspace_and_resets_it_when_run_again(app):
    # One test for both: the demo hooks fill a whole workspace, which takes a while.
    first = invoke(app, "demo")

    assert first.exit_code == 0, first.output
    match = LOGIN_LINE.search(first.output)
    assert match, first.output
    assert match.group(1) == app.config["PUBLIC_URL"].rstrip("/")
    first_password = match.group(2)
    user = db.session.scalars(select(User).where(User.email == "demo@example.com")).one()
    assert check_password_hash(user.password_hash, first_password)
    assert [m.role for m in user.memberships] == ["owner"]

    again = invoke(app, "demo")

    assert again.exit_code == 0, again.output
    second_password = LOGIN_LINE.search(again.output).group(2)
    db.session.rollback()
    user = db.session.scalars(select(User).where(User.email == "demo@example.com")).one()
    assert check_password_hash(user.password_hash, second_password)
    assert not check_password_hash(user.password_hash, first_password)
    assert len(db.session.scalars(select(Organization)).all()) == 1


# --- the console script -------------------------------------------------------------------


def test_it_upgrades_a_fresh_database_with_the_console_script(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "cli-test", "SCHEDULER_ENABLED": "0"}
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "autopilot"), "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert set(version) == set(migration_heads(MIGRATIONS_DIR))
