"""Encrypted per-workspace credentials: storage, keys and rotation, and the adapters using them."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from tests.conftest import START
from tests.fakes import smtp_server, twilio_server
from tests.fakes.openai_server import FakeOpenAI, reply_json
from tests.fakes.smtp_server import SmtpSink, use_smtp
from tests.fakes.twilio_server import FROM_NUMBER, FakeTwilio
from webapp.core.db import begin_write
from webapp.core.extensions import db
from webapp.integrations.delivery import OutgoingMessage
from webapp.integrations.email import EmailMessageSpec
from webapp.models import ActivityLog, IntegrationCredential, OutboxMessage
from webapp.services.ai import answers as ai
from webapp.services.connections import credentials
from webapp.services.connections.channels import (
    open_channel,
    provider_for,
    send_email,
    smtp_settings,
    twilio_settings,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:Session.login_data is deprecated:DeprecationWarning"
)

smtp_sink = smtp_server.smtp_sink  # the fixture
fake_twilio = twilio_server.fake_twilio  # the fixture

PASSWORD = "smtp-pa55word-9f8e7d6c"
TOKEN = "alices-twilio-token-0123456789abcdef"
ALICE_SID = "AC" + "a1" * 16
KEY_ONE = Fernet.generate_key().decode()
KEY_TWO = Fernet.generate_key().decode()


def smtp_values(port: int = 2525, **over: str) -> dict[str, str]:
    values = {
        "host": "127.0.0.1",
        "port": str(port),
        "username": "alice",
        "password": PASSWORD,
        "starttls": "0",
        "use_ssl": "0",
        "sender": "Alice Bakes <hello@alicebakes.example>",
    }
    values.update(over)
    return values


def save(org_id: int, provider: str, values: dict, actor_id: int | None = None):
    row = credentials.save_credentials(
        db.session, org_id, provider, values, actor_id=actor_id, now=START
    )
    db.session.commit()
    return row


def raw_row(org_id: int, provider: str) -> tuple[str, str]:
    with db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT ciphertext, hint FROM integration_credentials WHERE org_id = :o AND provider = :p"
            ),
            {"o": org_id, "p": provider},
        ).one()


# --- storage -------------------------------------------------------------------------------


def test_values_round_trip_and_only_ciphertext_and_masks_are_stored(app, alice, alice_org):
    save(alice_org.id, "smtp", smtp_values(), actor_id=alice.id)

    assert credentials.load_credentials(db.session, alice_org.id, "smtp") == smtp_values()
    assert credentials.load_credentials(db.engine, alice_org.id, "smtp") == smtp_values()
    ciphertext, hint = raw_row(alice_org.id, "smtp")
    assert (
        PASSWORD not in ciphertext
        and "alicebakes" not in ciphertext
        and "127.0.0.1" not in ciphertext
    )
    assert PASSWORD not in str(hint)
    row = db.session.scalars(select(IntegrationCredential)).one()
    assert row.hint["password"] == "••••"  # not one character of the secret
    assert row.hint["host"] == "127.0.0.1" and row.updated_by_id == alice.id
    assert credentials.configured_providers(db.session, alice_org.id) == {"smtp"}


def test_activity_says_who_saved_and_removed_without_any_secret(app, alice, alice_org):
    save(
        alice_org.id,
        "twilio",
        {"account_sid": ALICE_SID, "auth_token": TOKEN, "from_number": FROM_NUMBER},
        actor_id=alice.id,
    )
    assert credentials.delete_credentials(
        db.session, alice_org.id, "twilio", actor_id=alice.id, now=START
    )
    assert not credentials.delete_credentials(
        db.session, alice_org.id, "twilio", actor_id=alice.id, now=START
    )
    db.session.commit()

    rows = db.session.scalars(select(ActivityLog).order_by(ActivityLog.id)).all()
    assert [r.description for r in rows[-2:]] == [
        "Twilio credentials saved by Alice Owner",
        "Twilio credentials removed by Alice Owner",
    ]
    assert all(TOKEN not in f"{r.description} {r.details}" for r in rows)
    assert credentials.load_credentials(db.session, alice_org.id, "twilio") is None


def test_a_blank_secret_keeps_the_saved_one_and_missing_fields_are_refused(app, alice_org):
    save(alice_org.id, "smtp", smtp_values())
    save(alice_org.id, "smtp", smtp_values(password="", host="mail.example.com"))

    assert credentials.load_credentials(db.session, alice_org.id, "smtp")["password"] == PASSWORD
    assert (
        credentials.load_credentials(db.session, alice_org.id, "smtp")["host"] == "mail.example.com"
    )
    with pytest.raises(credentials.CredentialsError, match="needs auth_token"):
        credentials.save_credentials(
            db.session,
            alice_org.id,
            "twilio",
            {"account_sid": ALICE_SID, "from_number": FROM_NUMBER},
            actor_id=None,
            now=START,
        )


# --- keys and rotation ---------------------------------------------------------------------


def test_rotation_re_encrypts_with_the_first_key_so_the_old_one_can_be_dropped(
    app, alice_org, charlie
):
    app.config["CREDENTIALS_KEY"] = KEY_ONE
    save(alice_org.id, "smtp", smtp_values())
    charlie_org = charlie.memberships[0].org_id
    save(charlie_org, "openai", {"api_key": "sk-charlie-0123456789abcdef"})
    before = raw_row(alice_org.id, "smtp")[0]

    app.config["CREDENTIALS_KEY"] = KEY_TWO  # the old key dropped too early
    with pytest.raises(credentials.CredentialsError, match=credentials.UNDECRYPTABLE):
        credentials.load_credentials(db.session, alice_org.id, "smtp")

    app.config["CREDENTIALS_KEY"] = f"{KEY_TWO}, {KEY_ONE}"
    result = app.test_cli_runner().invoke(args=["credentials", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2 set(s)" in result.output
    assert raw_row(alice_org.id, "smtp")[0] != before

    app.config["CREDENTIALS_KEY"] = KEY_TWO
    db.session.rollback()
    assert credentials.load_credentials(db.session, alice_org.id, "smtp") == smtp_values()
    assert credentials.load_credentials(db.session, charlie_org, "openai")["api_key"].startswith(
        "sk-charlie"
    )


def test_rotation_changes_nothing_when_a_row_cannot_be_decrypted(app, alice_org):
    app.config["CREDENTIALS_KEY"] = KEY_ONE
    save(alice_org.id, "smtp", smtp_values())
    before = raw_row(alice_org.id, "smtp")[0]
    app.config["CREDENTIALS_KEY"] = KEY_TWO

    result = app.test_cli_runner().invoke(args=["credentials", "rotate"])

    assert result.exit_code == 1
    assert (
        credentials.UNDECRYPTABLE in result.output
        and f"workspace {alice_org.id} smtp" in result.output
    )
    assert raw_row(alice_org.id, "smtp")[0] == before


def test_without_credentials_key_a_key_derived_from_secret_key_is_used(app, alice_org):
    app.config["CREDENTIALS_KEY"] = None
    save(alice_org.id, "smtp", smtp_values())
    assert credentials.load_credentials(db.session, alice_org.id, "smtp") == smtp_values()
    assert "derived from SECRET_KEY" in credentials.key_source()

    app.config["SECRET_KEY"] = "another-secret"
    with pytest.raises(
        credentials.CredentialsError, match="key that encrypted these credentials is not configured"
    ):
        credentials.load_credentials(db.session, alice_org.id, "smtp")


def test_startup_says_where_the_key_comes_from_and_refuses_a_bad_key(
    app_config, caplog, monkeypatch
):
    from jobs.cli import build_app

    # Alembic's logging setup (the session's migration) disables loggers that existed then.
    monkeypatch.setattr(
        logging.getLogger("webapp.services.connections.credentials"), "disabled", False
    )
    with caplog.at_level(logging.INFO, logger="webapp.services.connections.credentials"):
        build_app({**app_config, "CREDENTIALS_KEY": None})
        build_app({**app_config, "CREDENTIALS_KEY": KEY_ONE})
    messages = [
        r.getMessage()
        for r in caplog.records
        if r.name == "webapp.services.connections.credentials"
    ]
    assert any("derived from SECRET_KEY" in m for m in messages)
    assert any("CREDENTIALS_KEY (1 key" in m for m in messages)
    assert not any(
        KEY_ONE in r.getMessage() or "test-secret" in r.getMessage() for r in caplog.records
    )

    with pytest.raises(credentials.CredentialsError, match="key number 2 is not a Fernet key"):
        build_app({**app_config, "CREDENTIALS_KEY": f"{KEY_ONE},not-a-key"})


def test_credentials_key_can_come_from_a_file(tmp_path, monkeypatch):
    from webapp.core.config import load_config

    (tmp_path / "key").write_text(KEY_ONE + "\n")
    monkeypatch.setenv("CREDENTIALS_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("SECRET_KEY", "x")
    assert load_config(tmp_path)["CREDENTIALS_KEY"] == KEY_ONE


# --- the adapters prefer the workspace's credentials ---------------------------------------


def test_email_for_alice_goes_to_her_server_while_charlie_uses_the_deployments(
    app, alice_org, charlie, smtp_sink
):
    charlie_org = charlie.memberships[0].org_id
    with SmtpSink() as deployment_sink:
        use_smtp(app, deployment_sink)
        save(alice_org.id, "smtp", smtp_values(port=smtp_sink.port, username="", password=""))

        for org_id in (alice_org.id, charlie_org):
            send_email(
                db.session,
                org_id,
                EmailMessageSpec(to="dana@example.com", subject=f"for {org_id}", text="hi"),
                purpose="test",
                now=START,
            )

        assert smtp_sink.wait_for(1) and deployment_sink.wait_for(1)
        assert smtp_sink.messages[0].message["Subject"] == f"for {alice_org.id}"
        assert smtp_sink.messages[0].message["From"] == "Alice Bakes <hello@alicebakes.example>"
        assert deployment_sink.messages[0].message["Subject"] == f"for {charlie_org}"


def test_without_deployment_smtp_only_the_workspace_with_credentials_sends_for_real(
    app, alice_org, charlie, clock, smtp_sink
):
    charlie_org = charlie.memberships[0].org_id
    save(alice_org.id, "smtp", smtp_values(port=smtp_sink.port, username="", password=""))

    assert (provider_for("email", alice_org.id), provider_for("email", charlie_org)) == (
        "smtp",
        "outbox",
    )
    for org_id in (alice_org.id, charlie_org):
        with open_channel(org_id, "email", engine=db.engine, clock=clock) as channel:
            channel.send(
                OutgoingMessage(
                    "email", "dana@example.com", subject="hello", text="hi", org_id=org_id
                )
            )

    assert smtp_sink.wait_for(1) and len(smtp_sink.messages) == 1
    db.session.rollback()  # a fresh snapshot: the outbox row was written on a connection of its own
    outbox = db.session.scalars(select(OutboxMessage)).all()
    assert [m.org_id for m in outbox] == [charlie_org]


def test_twilio_for_alice_uses_her_account_against_the_configured_api_base(
    app, alice_org, charlie, clock
):
    charlie_org = charlie.memberships[0].org_id
    server = FakeTwilio(account_sid=ALICE_SID, auth_token=TOKEN).start()
    try:
        app.config.update(TWILIO_API_BASE=server.base_url, TWILIO_TIMEOUT_SECONDS=5)
        save(
            alice_org.id,
            "twilio",
            {"account_sid": ALICE_SID, "auth_token": TOKEN, "from_number": FROM_NUMBER},
        )

        settings = twilio_settings(alice_org.id)
        assert (settings.account_sid, settings.auth_token, settings.api_base) == (
            ALICE_SID,
            TOKEN,
            server.base_url,
        )
        assert twilio_settings(charlie_org) is None
        with open_channel(alice_org.id, "sms", engine=db.engine, clock=clock) as channel:
            receipt = channel.send(
                OutgoingMessage(
                    "sms", "+14155552671", text="Your table is ready", org_id=alice_org.id
                )
            )

        assert receipt.provider == "twilio"
        [posted] = server.posted()
        assert posted.auth == (ALICE_SID, TOKEN) and posted.path.startswith(
            f"/2010-04-01/Accounts/{ALICE_SID}/"
        )
    finally:
        server.stop()


def test_ai_for_alice_uses_her_openai_key(app, alice_org, charlie, clock):
    charlie_org = charlie.memberships[0].org_id
    fake = FakeOpenAI().start()
    try:
        fake.script(reply_json({"headline": "Fresh bread daily"}))
        save(
            alice_org.id,
            "openai",
            {
                "api_key": "sk-alice-0123456789abcdef",
                "base_url": fake.base_url,
                "model": "gpt-4.1-mini",
            },
        )
        schema = {
            "type": "object",
            "required": ["headline"],
            "properties": {"headline": {"type": "string"}},
        }

        def ask(org_id: int) -> ai.AiResult:
            return ai.complete_json(
                db.session,
                org_id,
                purpose="test",
                system="s",
                prompt="p",
                schema=schema,
                builtin=lambda: {"headline": "builtin"},
                now=clock(),
            )

        assert (ask(alice_org.id).provider, ask(charlie_org).provider) == ("openai", "builtin")
        assert fake.posts[0].headers["authorization"] == "Bearer sk-alice-0123456789abcdef"
        assert fake.posts[0].body["model"] == "gpt-4.1-mini"
        assert ai.provider_label(org_id=alice_org.id) == "OpenAI (gpt-4.1-mini)"
    finally:
        fake.stop()


def test_the_adapters_read_on_a_connection_of_their_own_not_the_callers_session(
    app, alice_org, smtp_sink
):
    org_id = alice_org.id
    save(org_id, "smtp", smtp_values(port=smtp_sink.port))
    db.session.rollback()

    assert smtp_settings(org_id).port == smtp_sink.port
    assert not db.session().in_transaction()  # the caller's session was not used

    begin_write(db.session)  # a job holding the write lock …
    db.session.add(
        OutboxMessage(
            org_id=org_id,
            channel="email",
            to="x@example.com",
            sender="",
            subject="",
            body_text="",
            headers={},
            purpose="t",
            test_mode=True,
            created_at=START,
        )
    )
    db.session.flush()
    assert smtp_settings(org_id).host == "127.0.0.1"  # … does not block the lookup
    db.session.rollback()


def test_undecryptable_workspace_credentials_are_logged_and_not_used(
    app, alice_org, caplog, monkeypatch
):
    monkeypatch.setattr(
        logging.getLogger("webapp.services.connections.credentials"), "disabled", False
    )
    app.config["CREDENTIALS_KEY"] = KEY_ONE
    save(alice_org.id, "smtp", smtp_values())
    app.config["CREDENTIALS_KEY"] = KEY_TWO

    with caplog.at_level(logging.ERROR):
        assert smtp_settings(alice_org.id) is None  # no deployment SMTP: the outbox
    assert credentials.UNDECRYPTABLE in caplog.text and PASSWORD not in caplog.text
