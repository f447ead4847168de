"""Settings → Integrations: saving, masked display, permissions, validation, Test connection."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.fakes import smtp_server, twilio_server
from tests.fakes.openai_server import FakeOpenAI, reply_status, reply_text
from tests.fakes.smtp_server import use_smtp
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from webapp.core.extensions import db
from webapp.models import ActivityLog, AiCall, CircuitBreaker
from webapp.services.connections import checks as connection_tests
from webapp.services.connections import credentials

pytestmark = pytest.mark.filterwarnings(
    "ignore:Session.login_data is deprecated:DeprecationWarning"
)

smtp_sink = smtp_server.smtp_sink  # the fixture
fake_twilio = twilio_server.fake_twilio  # the fixture

PAGE = "/settings/integrations"
HX = {"HX-Request": "true"}
SMTP_PASSWORD = "s3cret-smtp-pass-7781"
OPENAI_KEY = "sk-test-alice-0123456789abcdefWXYZ"
# The sink on loopback has no TLS: signing in to it needs "allow plain-text login" ticked.
SIGNED_IN = {
    "smtp-username": "alice",
    "smtp-password": SMTP_PASSWORD,
    "smtp-allow_plain_login": "y",
}


def smtp_form(port: int, **over: str) -> dict:
    data = {
        "smtp-host": "127.0.0.1",
        "smtp-port": str(port),
        "smtp-security": "none",
        "smtp-username": "",
        "smtp-password": "",
        "smtp-sender": "Alice Bakes <hello@alicebakes.example>",
    }
    data.update(over)
    return data


def twilio_form(**over: str) -> dict:
    data = {
        "twilio-account_sid": ACCOUNT_SID,
        "twilio-auth_token": AUTH_TOKEN,
        "twilio-from_number": FROM_NUMBER,
        "twilio-whatsapp_from": "",
    }
    data.update(over)
    return data


def post(client, path: str, data: dict | None = None, htmx: bool = True):
    body = {"csrf_token": csrf_token(client, PAGE), **(data or {})}
    return client.post(path, data=body, headers=HX if htmx else {})


def activity(org_id: int) -> list[ActivityLog]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(ActivityLog).where(ActivityLog.org_id == org_id).order_by(ActivityLog.id)
        )
    )


@pytest.fixture
def fake_openai():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _loggers_on(monkeypatch):
    # Alembic's logging setup (the session's migration) disables loggers that existed then.
    for name in ("webapp", "webapp.services.connections.credentials", "webapp.services.ai.answers"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)


# --- status and saving ---------------------------------------------------------------------


def test_the_page_says_what_is_configured_and_from_where(app, client, alice, smtp_sink):
    login(client, alice)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Not configured — email goes to the outbox" in html
    assert "Not configured — SMS and WhatsApp go to the outbox" in html
    assert "Not configured — the built-in writer writes" in html
    assert 'aria-current="page">Integrations' in html

    use_smtp(app, smtp_sink)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Configured from the environment" in html


def test_an_owner_saves_smtp_and_sees_it_masked(app, client, alice, alice_org, caplog):
    login(client, alice)
    with caplog.at_level(logging.DEBUG):
        response = post(
            client,
            f"{PAGE}/smtp",
            smtp_form(2525, **SIGNED_IN),
        )
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Configured for this workspace" in html and "••••" in html
    assert SMTP_PASSWORD not in html
    page = client.get(PAGE).get_data(as_text=True)
    assert SMTP_PASSWORD not in page and "••••" in page
    assert SMTP_PASSWORD[-4:] not in page  # not even its last characters
    assert (
        credentials.load_credentials(db.session, alice_org.id, "smtp")["password"] == SMTP_PASSWORD
    )
    [row] = activity(alice_org.id)[-1:]
    assert (
        row.description == "Email (SMTP) credentials saved by Alice Owner"
        and row.actor_id == alice.id
    )
    assert SMTP_PASSWORD not in f"{row.description} {row.details}"
    assert SMTP_PASSWORD not in caplog.text


def test_a_blank_password_on_edit_keeps_the_saved_one(app, client, alice, alice_org):
    login(client, alice)
    post(client, f"{PAGE}/smtp", smtp_form(2525, **{"smtp-password": SMTP_PASSWORD}))
    response = post(client, f"{PAGE}/smtp", smtp_form(2626, **{"smtp-password": ""}))

    assert response.status_code == 200
    saved = credentials.load_credentials(db.session, alice_org.id, "smtp")
    assert (saved["port"], saved["password"]) == ("2626", SMTP_PASSWORD)


def test_without_htmx_saving_redirects_back_to_the_page(app, client, alice):
    login(client, alice)
    response = post(client, f"{PAGE}/twilio", twilio_form(), htmx=False)
    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Twilio SMS &amp; WhatsApp: Saved." in html and AUTH_TOKEN not in html


def test_remove_deletes_them_and_says_so(app, client, alice, alice_org):
    login(client, alice)
    post(client, f"{PAGE}/twilio", twilio_form())
    response = post(client, f"{PAGE}/twilio/remove")

    assert response.status_code == 200 and "Removed." in response.get_data(as_text=True)
    assert credentials.configured_providers(db.session, alice_org.id) == set()
    assert activity(alice_org.id)[-1].description == "Twilio credentials removed by Alice Owner"


# --- who may do what -----------------------------------------------------------------------


def test_staff_see_the_masked_status_but_cannot_save_or_remove(app, client, alice, alice_org, bob):
    credentials.save_credentials(
        db.session,
        alice_org.id,
        "openai",
        {"api_key": OPENAI_KEY},
        actor_id=alice.id,
        now=alice.created_at,
    )
    db.session.commit()
    login(client, bob)

    html = client.get(PAGE).get_data(as_text=True)
    assert "Configured for this workspace" in html and "••••" in html and OPENAI_KEY not in html
    assert (
        "Only an owner can change these settings." in html and 'name="openai-api_key"' not in html
    )
    assert (
        post(client, f"{PAGE}/openai", {"openai-api_key": "sk-bob-000000000000"}).status_code == 403
    )
    assert post(client, f"{PAGE}/openai/remove").status_code == 403
    assert credentials.load_credentials(db.session, alice_org.id, "openai")["api_key"] == OPENAI_KEY


def test_charlie_never_sees_alices_credentials(app, client, alice, alice_org, charlie):
    credentials.save_credentials(
        db.session,
        alice_org.id,
        "twilio",
        {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": FROM_NUMBER},
        actor_id=alice.id,
        now=alice.created_at,
    )
    db.session.commit()
    login(client, charlie)

    html = client.get(PAGE).get_data(as_text=True)
    assert ACCOUNT_SID not in html and AUTH_TOKEN[-4:] not in html
    assert "Not configured — SMS and WhatsApp go to the outbox" in html
    post(client, f"{PAGE}/twilio/remove")
    assert credentials.configured_providers(db.session, alice_org.id) == {"twilio"}


def test_support_cannot_save(app, client, support_user):
    login(client, support_user)
    assert post(client, f"{PAGE}/smtp", smtp_form(2525)).status_code == 403


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "data", "message"),
    [
        ("smtp", smtp_form(70000), "The port is a number from 1 to 65535."),
        ("smtp", smtp_form(25, **{"smtp-sender": "not an address"}), "Enter a valid email address"),
        (
            "smtp",
            smtp_form(25, **{"smtp-host": "https://smtp.example.com"}),
            "Enter only the host name",
        ),
        ("twilio", twilio_form(**{"twilio-account_sid": "AC123"}), "32 hexadecimal characters"),
        ("twilio", twilio_form(**{"twilio-from_number": "0123"}), "international format"),
        ("twilio", twilio_form(**{"twilio-auth_token": ""}), "Enter the auth token."),
        (
            "openai",
            {"openai-api_key": "sk-x-1234567890", "openai-base_url": "ftp://x"},
            "Enter a full URL",
        ),
        ("openai", {"openai-api_key": "", "openai-model": "gpt-4o-mini"}, "Enter the api key."),
    ],
)
def test_field_errors_come_back_in_place_with_422(
    app, client, alice, alice_org, provider, data, message
):
    login(client, alice)
    response = post(client, f"{PAGE}/{provider}", data)
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    assert message in html and 'class="field-error"' in html
    assert html.lstrip().startswith(f'<article id="integration-{provider}"')
    assert credentials.configured_providers(db.session, alice_org.id) == set()


# --- Test connection -----------------------------------------------------------------------


def breaker(org_id: int, provider: str) -> CircuitBreaker | None:
    db.session.rollback()
    return db.session.scalar(
        select(CircuitBreaker).where(
            CircuitBreaker.org_id == org_id, CircuitBreaker.provider == provider
        )
    )


def test_smtp_test_connection_works_against_a_real_server(app, client, alice, alice_org, smtp_sink):
    smtp_sink.require_auth("alice", SMTP_PASSWORD)
    login(client, alice)
    post(
        client,
        f"{PAGE}/smtp",
        smtp_form(smtp_sink.port, **SIGNED_IN),
    )

    html = post(client, f"{PAGE}/smtp/test").get_data(as_text=True)

    assert "Connection works." in html
    assert f"connected to 127.0.0.1:{smtp_sink.port}" in html and "signed in as alice" in html
    assert SMTP_PASSWORD not in html and smtp_sink.messages == []
    assert breaker(alice_org.id, "smtp").last_success_at is not None
    row = activity(alice_org.id)[-1]
    assert row.description == "Email (SMTP) connection test by Alice Owner worked."
    assert SMTP_PASSWORD not in str(row.details)


def test_smtp_refused_is_integration_offline_with_the_fix(app, client, alice, alice_org, smtp_sink):
    login(client, alice)
    post(client, f"{PAGE}/smtp", smtp_form(smtp_sink.port))
    smtp_sink.refuse()

    html = post(client, f"{PAGE}/smtp/test").get_data(as_text=True)

    assert "Connection failed." in html and "INTEGRATION_OFFLINE" in html
    assert f"Failed while connecting to 127.0.0.1:{smtp_sink.port}" in html
    assert "The server could not be reached." in html and "The provider is unreachable" in html
    record = breaker(alice_org.id, "smtp")
    assert record.last_error_class == "INTEGRATION_OFFLINE" and record.consecutive_failures == 1


def test_smtp_wrong_password_is_auth_failed_and_says_what_worked_first(
    app, client, alice, alice_org, smtp_sink
):
    smtp_sink.require_auth("alice", "the-right-one")
    login(client, alice)
    post(
        client,
        f"{PAGE}/smtp",
        smtp_form(smtp_sink.port, **SIGNED_IN),
    )

    html = post(client, f"{PAGE}/smtp/test").get_data(as_text=True)

    assert "THIRD_PARTY_AUTH_FAILED" in html and "failed while signing in as alice" in html
    assert f"Connected to 127.0.0.1:{smtp_sink.port}, EHLO accepted; then" in html
    assert "check them in Settings → Integrations" in html and SMTP_PASSWORD not in html


def test_twilio_test_connection_fetches_the_account(app, client, alice, alice_org, fake_twilio):
    app.config["TWILIO_API_BASE"] = fake_twilio.base_url
    login(client, alice)
    post(client, f"{PAGE}/twilio", twilio_form())

    html = post(client, f"{PAGE}/twilio/test").get_data(as_text=True)

    assert (
        "Connection works." in html
        and "Twilio accepted the credentials" in html
        and ACCOUNT_SID in html
    )
    assert AUTH_TOKEN not in html
    assert fake_twilio.requests[-1].path == f"/2010-04-01/Accounts/{ACCOUNT_SID}.json"
    assert breaker(alice_org.id, "twilio").last_success_at is not None


def test_twilio_401_is_auth_failed(app, client, alice, alice_org, fake_twilio, caplog):
    app.config["TWILIO_API_BASE"] = fake_twilio.base_url
    login(client, alice)
    wrong = "wrong-token-00000000000000000000"
    post(client, f"{PAGE}/twilio", twilio_form(**{"twilio-auth_token": wrong}))

    with caplog.at_level(logging.DEBUG):
        html = post(client, f"{PAGE}/twilio/test").get_data(as_text=True)

    assert (
        "Connection failed." in html and "THIRD_PARTY_AUTH_FAILED" in html and "Twilio 401" in html
    )
    assert "The provider refused the credentials" in html and wrong not in html
    assert breaker(alice_org.id, "twilio").last_error_class == "THIRD_PARTY_AUTH_FAILED"
    rows = activity(alice_org.id)
    assert (
        rows[-1].description
        == "Twilio connection test by Alice Owner failed (THIRD_PARTY_AUTH_FAILED)."
    )
    assert all(wrong not in f"{r.description} {r.details}" for r in rows)
    assert wrong not in caplog.text


def test_openai_test_connection_asks_one_tiny_question(app, client, alice, alice_org, fake_openai):
    fake_openai.script(reply_text("OK", tokens_in=12, tokens_out=1))
    login(client, alice)
    post(
        client,
        f"{PAGE}/openai",
        {
            "openai-api_key": OPENAI_KEY,
            "openai-model": "gpt-4o-mini",
            "openai-base_url": fake_openai.base_url,
        },
    )

    html = post(client, f"{PAGE}/openai/test").get_data(as_text=True)

    assert "Connection works." in html and "OpenAI answered" in html and OPENAI_KEY not in html
    [request] = fake_openai.posts
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert request.body["max_completion_tokens"] == 5
    db.session.rollback()
    call = db.session.scalar(select(AiCall).where(AiCall.org_id == alice_org.id))
    assert (call.purpose, call.ok, call.tokens_in) == ("connection_test", True, 12)


def test_openai_401_is_auth_failed_and_the_key_is_never_shown(
    app, client, alice, alice_org, fake_openai, caplog
):
    fake_openai.script(reply_status(401, f"Incorrect API key provided: {OPENAI_KEY}."))
    login(client, alice)
    post(
        client,
        f"{PAGE}/openai",
        {"openai-api_key": OPENAI_KEY, "openai-base_url": fake_openai.base_url},
    )

    with caplog.at_level(logging.DEBUG):
        html = post(client, f"{PAGE}/openai/test").get_data(as_text=True)

    assert "THIRD_PARTY_AUTH_FAILED" in html and "Incorrect API key provided" in html
    assert OPENAI_KEY not in html and OPENAI_KEY not in caplog.text
    assert all(OPENAI_KEY not in f"{r.description} {r.details}" for r in activity(alice_org.id))
    assert len(fake_openai.posts) == 1  # no retries


def test_staff_may_test_but_nothing_to_test_says_so(app, client, alice, bob, alice_org):
    login(client, bob)
    html = post(client, f"{PAGE}/smtp/test").get_data(as_text=True)
    assert "Nothing was tested." in html and "email goes to the local outbox" in html
    assert breaker(alice_org.id, "smtp") is None


def test_credentials_under_a_missing_key_give_a_clear_error_not_a_crash(
    app, client, alice, alice_org
):
    from cryptography.fernet import Fernet

    app.config["CREDENTIALS_KEY"] = Fernet.generate_key().decode()
    login(client, alice)
    post(client, f"{PAGE}/smtp", smtp_form(2525, **{"smtp-password": SMTP_PASSWORD}))
    app.config["CREDENTIALS_KEY"] = Fernet.generate_key().decode()

    page = client.get(PAGE)
    assert page.status_code == 200
    assert credentials.UNDECRYPTABLE in page.get_data(as_text=True)
    html = post(client, f"{PAGE}/smtp/test").get_data(as_text=True)
    assert credentials.UNDECRYPTABLE in html and "CREDENTIALS_KEY" in html
    # Keeping the saved password is impossible now: the form says to enter it again.
    response = post(client, f"{PAGE}/smtp", smtp_form(2525))
    assert response.status_code == 422 and "Enter it again." in response.get_data(as_text=True)
    assert (
        post(
            client, f"{PAGE}/smtp", smtp_form(2525, **{"smtp-password": "new-one-123"})
        ).status_code
        == 200
    )


def test_the_service_records_the_outcome_on_the_health_record(
    app, alice, alice_org, smtp_sink, clock
):
    org_id = alice_org.id
    credentials.save_credentials(
        db.session,
        org_id,
        "smtp",
        {"host": "127.0.0.1", "port": str(smtp_sink.port), "starttls": "0"},
        actor_id=None,
        now=clock(),
    )
    db.session.commit()

    result = connection_tests.test_connection(db.session, org_id, "smtp", now=clock())
    db.session.commit()

    assert result.ok and result.error_class is None
    assert breaker(org_id, "smtp").last_success_at == clock()
    assert activity(org_id)[-1].description == "Email (SMTP) connection test worked."


def test_the_service_refuses_to_run_inside_an_open_transaction(app, alice_org, clock):
    org_id = alice_org.id  # a read: the session's transaction is open now
    with pytest.raises(RuntimeError, match="transaction ended first"):
        connection_tests.test_connection(db.session, org_id, "smtp", now=clock())


def test_a_failed_test_keeps_the_secret_out_of_the_health_record_and_page(
    app, client, alice, alice_org, fake_openai
):
    # An OpenAI-compatible proxy that echoes the key in its error, unmasked.
    fake_openai.script(reply_status(401, f"Incorrect API key provided: {OPENAI_KEY}."))
    login(client, alice)
    post(
        client,
        f"{PAGE}/openai",
        {"openai-api_key": OPENAI_KEY, "openai-base_url": fake_openai.base_url},
    )
    post(client, f"{PAGE}/openai/test")

    record = breaker(alice_org.id, "openai")
    assert record.last_error_class == "THIRD_PARTY_AUTH_FAILED"
    assert "Incorrect API key provided" in record.last_error and OPENAI_KEY not in record.last_error
    health = client.get("/health").get_data(as_text=True)
    assert "Incorrect API key provided" in health and OPENAI_KEY not in health


def test_a_refused_smtp_save_keeps_the_typed_password(app, client, alice, alice_org):
    login(client, alice)
    typed = SIGNED_IN
    response = post(client, f"{PAGE}/smtp", smtp_form(99999, **typed))  # a port out of range
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'value="{SMTP_PASSWORD}"' in html  # typed again is not needed
    assert credentials.configured_providers(db.session, alice_org.id) == set()
    saved = post(client, f"{PAGE}/smtp", smtp_form(2525, **typed))
    assert SMTP_PASSWORD not in saved.get_data(as_text=True)  # a saved one is never shown


def test_a_login_without_encryption_needs_the_plain_text_box(app, client, alice, alice_org):
    login(client, alice)
    unticked = {"smtp-username": "alice", "smtp-password": SMTP_PASSWORD}

    response = post(client, f"{PAGE}/smtp", smtp_form(2525, **unticked))

    assert response.status_code == 422
    assert "the password would travel unencrypted" in response.get_data(as_text=True)
    assert credentials.configured_providers(db.session, alice_org.id) == set()


def test_the_connection_test_never_signs_in_unencrypted_unless_allowed(
    app, client, alice, alice_org, smtp_sink, clock
):
    smtp_sink.require_auth("alice", SMTP_PASSWORD)
    credentials.save_credentials(
        db.session,
        alice_org.id,
        "smtp",
        {"host": "127.0.0.1", "port": str(smtp_sink.port), "starttls": "0", "use_ssl": "0",
         "username": "alice", "password": SMTP_PASSWORD, "allow_plain_login": "0",
         "sender": "hello@alicebakes.example"},
        actor_id=None,
        now=clock(),
    )  # fmt: skip
    db.session.commit()
    login(client, alice)

    html = post(client, f"{PAGE}/smtp/test").get_data(as_text=True)

    assert "Connection failed." in html and "failed while signing in as alice" in html
    assert "Refusing to send the SMTP password" in html and SMTP_PASSWORD not in html
