"""Deployment settings, read from the environment (and `.env`) when the app is created.

Settings a workspace edits live in the database; only deploy-time settings are here.
Every helper fails loudly on a bad value so a typo never silently becomes a default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(ValueError):
    """A deploy setting has a value we cannot use."""


def env_str(name: str, default: str | None = None) -> str | None:
    """The variable's value, or the contents of the file named by NAME_FILE, or default."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {file_name}: {exc}") from exc
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def instance_secret_key(instance_path: Path) -> str:
    """A secret key kept in instance/secret_key, generated on first run (mode 0600)."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
SERVED_URL_FILE = "served_url"


def served_url(instance_path: Path) -> str | None:
    """The address `autopilot serve` recorded when it started, if any."""
    try:
        text = (instance_path / SERVED_URL_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if text.startswith(("http://", "https://")) else None


def record_served_url(instance_path: Path, url: str) -> None:
    """Remember the address being served, for commands run beside the server (`demo`)."""
    instance_path.mkdir(parents=True, exist_ok=True)
    (instance_path / SERVED_URL_FILE).write_text(url + "\n", encoding="utf-8")


def load_config(instance_path: Path) -> dict:
    """All deploy settings as a dict for `app.config`."""
    default_db = f"sqlite:///{instance_path / 'autopilot.db'}"
    database_url = env_str("DATABASE_URL", default_db)
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    return {
        "SECRET_KEY": env_str("SECRET_KEY") or instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLITE_BUSY_TIMEOUT_MS": env_int("SQLITE_BUSY_TIMEOUT_MS", 15000, minimum=0),
        "SCHEDULER_ENABLED": env_bool("SCHEDULER_ENABLED", False),
        "SERVICE_TOKEN": env_str("SERVICE_TOKEN"),
        # Fernet keys for workspace credentials, comma-separated, the first encrypts (rotation:
        # put the new key first, run `autopilot credentials rotate`, drop the old one). Unset:
        # a key derived from SECRET_KEY.
        "CREDENTIALS_KEY": env_str("CREDENTIALS_KEY"),
        # Where people and providers reach this server: links in mail and texts, webhooks.
        # Unset: the address `autopilot serve` last served (see served_url), so links follow
        # `make run PORT=…`; behind a proxy or on a public name, set it.
        "PUBLIC_URL": env_str("PUBLIC_URL") or served_url(instance_path) or DEFAULT_PUBLIC_URL,
        "QUEUE_PURGE_COMPLETED_DAYS": env_int("QUEUE_PURGE_COMPLETED_DAYS", 7, minimum=1),
        "JOB_RUN_HISTORY_DAYS": env_int("JOB_RUN_HISTORY_DAYS", 30, minimum=1),
        "LOGIN_MAX_FAILURES": env_int("LOGIN_MAX_FAILURES", 5, minimum=1),
        "LOGIN_LOCKOUT_MINUTES": env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1),
        # Per client address, across accounts: slower and more generous than the account's
        # lockout, so a shared address (an office, a proxy) is not locked out by one typo.
        "LOGIN_ADDRESS_MAX_FAILURES": env_int("LOGIN_ADDRESS_MAX_FAILURES", 50, minimum=1),
        "LOGIN_ADDRESS_WINDOW_MINUTES": env_int("LOGIN_ADDRESS_WINDOW_MINUTES", 60, minimum=1),
        # How many reverse proxies in front of the app may set X-Forwarded-For/-Proto. 0: the
        # client address is the connection's (behind a proxy: the proxy's, for everyone).
        "TRUSTED_PROXIES": env_int("TRUSTED_PROXIES", 0, minimum=0),
        "PASSWORD_RESET_MINUTES": env_int("PASSWORD_RESET_MINUTES", 60, minimum=5),
        "API_REQUESTS_PER_MINUTE": env_int("API_REQUESTS_PER_MINUTE", 600, minimum=0),
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", False),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "LOG_LEVEL": env_str("LOG_LEVEL", "INFO"),
        # AI: with no key the built-in planner writes (DESIGN invariant 5).
        "OPENAI_API_KEY": env_str("OPENAI_API_KEY"),
        "OPENAI_BASE_URL": env_str("OPENAI_BASE_URL"),
        "OPENAI_MODEL": env_str("OPENAI_MODEL", "gpt-4o-mini"),
        "OPENAI_TIMEOUT_SECONDS": env_int("OPENAI_TIMEOUT_SECONDS", 30, minimum=1),
        # Stripe checkout webhook (POST /webhooks/stripe); unset: the endpoint answers 404.
        "STRIPE_WEBHOOK_SECRET": env_str("STRIPE_WEBHOOK_SECRET"),
        # Setup pipeline: the country whose local numbers are bought for a workspace, and how
        # long a process holds a run before another may take it over.
        "TWILIO_NUMBER_COUNTRY": env_str("TWILIO_NUMBER_COUNTRY", "US"),
        # What one SMS segment costs, for the editors' estimates (Twilio's US list price).
        "SMS_SEGMENT_PRICE": env_str("SMS_SEGMENT_PRICE", "0.0083"),
        "PROVISIONING_LEASE_SECONDS": env_int("PROVISIONING_LEASE_SECONDS", 300, minimum=5),
        **delivery_config(),
    }


def delivery_config() -> dict:
    """Email (SMTP) and SMS/WhatsApp (Twilio) settings; unset means the local outbox."""
    port = env_int("SMTP_PORT", 587, minimum=1)
    use_ssl = env_bool("SMTP_SSL", port == 465)
    starttls = env_bool("SMTP_STARTTLS", port == 587 and not use_ssl)
    if use_ssl and starttls:
        raise ConfigError("SMTP_SSL and SMTP_STARTTLS cannot both be on: pick one")
    return {
        "SMTP_HOST": env_str("SMTP_HOST"),
        "SMTP_PORT": port,
        "SMTP_USERNAME": env_str("SMTP_USERNAME"),
        "SMTP_PASSWORD": env_str("SMTP_PASSWORD"),
        "SMTP_STARTTLS": starttls,
        "SMTP_SSL": use_ssl,
        # AUTH over a connection with no TLS only when the owner says so (issue 14 item 7).
        "SMTP_ALLOW_PLAIN_LOGIN": env_bool("SMTP_ALLOW_PLAIN_LOGIN", False),
        "SMTP_FROM": env_str("SMTP_FROM"),
        "SMTP_TIMEOUT_SECONDS": env_int("SMTP_TIMEOUT_SECONDS", 20, minimum=1),
        "TWILIO_ACCOUNT_SID": env_str("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": env_str("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM": env_str("TWILIO_FROM"),
        "TWILIO_WHATSAPP_FROM": env_str("TWILIO_WHATSAPP_FROM"),
        # The approved WhatsApp template (Content SID, HX…) for messages outside the 24-hour
        # window, for workspaces on the deployment's Twilio account.
        "TWILIO_WHATSAPP_TEMPLATE_SID": env_str("TWILIO_WHATSAPP_TEMPLATE_SID"),
        "TWILIO_TIMEOUT_SECONDS": env_int("TWILIO_TIMEOUT_SECONDS", 15, minimum=1),
        # Tests only: the local fake Twilio server (the client has no base-URL option).
        "TWILIO_API_BASE": env_str("TWILIO_API_BASE"),
        "EMAIL_PER_MINUTE": env_int("EMAIL_PER_MINUTE", 600, minimum=0),
        "SMS_PER_MINUTE": env_int("SMS_PER_MINUTE", 60, minimum=0),
    }
