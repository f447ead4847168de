"""Commands on the app's CLI that need only services: `autopilot user …`, `autopilot demo`."""

from __future__ import annotations

import secrets
from datetime import datetime

import click
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import Membership, Organization, User
from webapp.services.accounts import people as accounts
from webapp.services.demo import fill_demo_workspace
from webapp.services.reporting import send_report_emails

DEMO_EMAIL = "demo@example.com"
SUPPORT_WORKSPACE = "Support"


def register_cli(app: Flask) -> None:
    _register_user_commands(app)
    _register_demo(app)


def _support_workspace(now: datetime) -> Organization:
    """The one workspace support users belong to, made on first use."""
    org = db.session.scalars(
        select(Organization).where(Organization.name == SUPPORT_WORKSPACE)
    ).first()
    if org is None:
        org = Organization(name=SUPPORT_WORKSPACE, timezone="UTC", created_at=now)
        db.session.add(org)
        db.session.flush()
    return org


def _register_user_commands(app: Flask) -> None:
    @app.cli.group("user")
    def user_group() -> None:
        """Manage user accounts."""

    @user_group.command("create")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--workspace", default=None, help="Name of a new workspace the user owns.")
    @click.option("--timezone", default="UTC", show_default=True)
    @click.option(
        "--role",
        type=click.Choice(["owner", "support"]),
        default="owner",
        show_default=True,
        help="support: reads every workspace's activity and health, changes nothing.",
    )
    def create_user(
        email: str, name: str, password: str, workspace: str | None, timezone: str, role: str
    ) -> None:
        """Create a user (owner of a new workspace, or a support user)."""
        if len(password) < accounts.MIN_PASSWORD:
            raise click.BadParameter(
                f"use at least {accounts.MIN_PASSWORD} characters", param_hint="--password"
            )
        if not accounts.valid_timezone(timezone):
            raise click.BadParameter(f"unknown timezone {timezone!r}", param_hint="--timezone")
        now = clock.now()
        try:
            user = accounts.create_user(db.session, email, name, password, now=now)
        except accounts.EmailTaken as exc:
            raise click.ClickException(str(exc)) from exc
        if role == "support":
            org = _support_workspace(now)
            db.session.add(
                Membership(org_id=org.id, user_id=user.id, role="support", created_at=now)
            )
        else:
            accounts.create_workspace(
                db.session, user, workspace or f"{name}'s workspace", timezone, now=now
            )
        db.session.commit()
        click.echo(f"Created {role} user {user.email}.")


def _register_demo(app: Flask) -> None:
    @app.cli.command("demo")
    def demo() -> None:
        """Create (or reset) the demo workspace and print how to sign in."""
        now = clock.now()
        password = secrets.token_urlsafe(9)
        user = db.session.scalars(select(User).where(User.email == DEMO_EMAIL)).one_or_none()
        if user is None:
            user, org = accounts.sign_up(
                db.session,
                email=DEMO_EMAIL,
                name="Dana Demo",
                password=password,
                workspace="Demo Bakery",
                timezone="Europe/London",
                now=now,
            )
        else:
            user.password_hash = generate_password_hash(password)
            org = accounts.user_workspaces(db.session, user)[0]
        fill_demo_workspace(db.session, org, now)
        org_id = org.id
        db.session.commit()
        # The latest report's emails were queued with it: send them now it is committed.
        send_report_emails(db.engine, owner="cli:demo", clock=clock.now, org_id=org_id)
        base = app.config["PUBLIC_URL"].rstrip("/")
        click.echo(f"Demo workspace “{org.name}” is ready.")
        click.echo(f"Sign in at {base}/login as {DEMO_EMAIL} with password {password}")
