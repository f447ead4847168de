"""A workspace's own integration credentials, encrypted at rest (Fernet).

The key comes from the deployment: `CREDENTIALS_KEY` (or `CREDENTIALS_KEY_FILE`) is a
comma-separated list of Fernet keys; the first encrypts, every one decrypts. To rotate,
put a new key first, run `autopilot credentials rotate` (every row is re-encrypted with
it), then drop the old key. Without CREDENTIALS_KEY a key is derived from SECRET_KEY with
HKDF, so `make run` works with no setup (changing SECRET_KEY then loses the credentials).

Only masked values (`hint`) are ever shown back; plaintext never reaches a log or a page.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_app_context
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from webapp.models import IntegrationCredential, User
from webapp.models.credential import PROVIDERS
from webapp.services.activity import log_activity
from webapp.services.connections.holds import settings_changed

log = logging.getLogger(__name__)

LABELS = {
    "smtp": "Email (SMTP)",
    "dkim": "DKIM signing",
    "twilio": "Twilio",
    "openai": "OpenAI",
    "google_ads": "Google Ads",
    "meta_ads": "Meta ads",
    "bounces": "Bounce mailbox",  # services/suppression/mailbox.py
    "email_hooks": "Email provider webhooks",  # services/suppression/webhooks.py
}
FIELDS = {
    "smtp": ("host", "port", "username", "password", "starttls", "use_ssl",
             "allow_plain_login", "sender"),
    "dkim": ("domain", "selector", "private_key"),
    "twilio": ("account_sid", "auth_token", "from_number", "whatsapp_from",
               "whatsapp_template_sid", "subaccount"),
    "openai": ("api_key", "base_url", "model"),
    "google_ads": ("developer_token", "client_id", "client_secret", "refresh_token",
                   "customer_id", "login_customer_id"),
    "meta_ads": ("app_id", "app_secret", "access_token", "ad_account_id"),
    "bounces": ("host", "port", "username", "password", "address"),
    "email_hooks": ("mailgun_signing_key", "postmark_username", "postmark_password",
                    "sendgrid_public_key", "ses_topic_arn"),
}  # fmt: skip
SECRETS = {
    "smtp": ("password",),
    "dkim": ("private_key",),
    "twilio": ("auth_token",),
    "openai": ("api_key",),
    "google_ads": ("developer_token", "client_secret", "refresh_token"),
    "meta_ads": ("app_secret", "access_token"),
    "bounces": ("password",),
    "email_hooks": ("mailgun_signing_key", "postmark_password"),
}
REQUIRED = {
    "smtp": ("host", "port"),
    "dkim": ("domain", "selector", "private_key"),
    "twilio": ("account_sid", "auth_token", "from_number"),
    "openai": ("api_key",),
    "google_ads": (
        "developer_token",
        "client_id",
        "client_secret",
        "refresh_token",
        "customer_id",
    ),
    "meta_ads": ("app_id", "app_secret", "access_token", "ad_account_id"),
    "bounces": ("host", "port", "username", "password", "address"),
    "email_hooks": (),
}
UNDECRYPTABLE = "cannot decrypt: the key that encrypted these credentials is not configured"
MASK = "••••"
HKDF_SALT = b"marketing-autopilot/credentials/v1"


class CredentialsError(ValueError):
    """Credentials cannot be encrypted, decrypted or saved as given (no secret in the message)."""


# --- the key ------------------------------------------------------------------------------


def _config(config: Mapping | None) -> Mapping:
    if config is not None:
        return config
    return current_app.config if has_app_context() else {}


@lru_cache(maxsize=8)
def _build(keys: str | None, secret_key: str | None) -> MultiFernet:
    if keys:
        fernets = []
        for position, key in enumerate(k.strip() for k in keys.split(",") if k.strip()):
            try:
                fernets.append(Fernet(key.encode()))
            except (ValueError, TypeError) as exc:
                raise CredentialsError(
                    f"CREDENTIALS_KEY: key number {position + 1} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes; make one with "
                    '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`)'
                ) from exc
        if fernets:
            return MultiFernet(fernets)
    if not secret_key:
        raise CredentialsError(
            "neither CREDENTIALS_KEY nor SECRET_KEY is set: credentials cannot be encrypted"
        )
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=b"integration-credentials"
    ).derive(secret_key.encode())
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def cipher(config: Mapping | None = None) -> MultiFernet:
    """The MultiFernet of the configured keys (first one encrypts)."""
    cfg = _config(config)
    return _build(cfg.get("CREDENTIALS_KEY") or None, cfg.get("SECRET_KEY") or None)


def key_source(config: Mapping | None = None) -> str:
    """In words, where the key comes from (never the key itself): for the startup log."""
    cfg = _config(config)
    keys = [k for k in (cfg.get("CREDENTIALS_KEY") or "").split(",") if k.strip()]
    if keys:
        return (
            f"CREDENTIALS_KEY ({len(keys)} key{'s' if len(keys) > 1 else ''}; the first encrypts)"
        )
    return "a key derived from SECRET_KEY (CREDENTIALS_KEY is not set)"


def announce_key(config: Mapping) -> None:
    """Check the key at startup and say where it comes from; a bad key fails loudly here."""
    cipher(config)
    level = logging.INFO if cfg_has_keys(config) else logging.WARNING
    log.log(level, "integration credentials are encrypted with %s", key_source(config))


def cfg_has_keys(config: Mapping) -> bool:
    return bool((config.get("CREDENTIALS_KEY") or "").strip(" ,"))


def encrypt_values(values: Mapping[str, str], config: Mapping | None = None) -> str:
    return cipher(config).encrypt(json.dumps(dict(values), sort_keys=True).encode()).decode()


def decrypt_values(ciphertext: str, config: Mapping | None = None) -> dict[str, str]:
    try:
        return json.loads(cipher(config).decrypt(ciphertext.encode()))
    except InvalidToken as exc:
        raise CredentialsError(UNDECRYPTABLE) from exc


def readable(ciphertext: str, config: Mapping | None = None) -> bool:
    """Whether the configured keys can decrypt this row."""
    try:
        decrypt_values(ciphertext, config)
    except CredentialsError:
        return False
    return True


def mask(secret: str | None) -> str:
    """`••••` for a secret (none of its characters: even the last four help a guess), "" for none."""
    return MASK if secret else ""


def hint_for(provider: str, values: Mapping[str, str]) -> dict[str, str]:
    """What may be shown back: plain settings, and secrets masked."""
    return {
        key: (mask(value) if key in SECRETS[provider] else value)
        for key, value in values.items()
        if value not in (None, "")
    }


# --- rows ----------------------------------------------------------------------------------


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise CredentialsError(f"unknown provider {provider!r}")


def _row(session: Session, org_id: int, provider: str) -> IntegrationCredential | None:
    return session.scalar(
        select(IntegrationCredential).where(
            IntegrationCredential.org_id == org_id, IntegrationCredential.provider == provider
        )
    )


def _actor_words(session: Session, actor_id: int | None) -> str:
    if actor_id is None:
        return "the autopilot"
    user = session.get(User, actor_id)
    return user.name if user is not None else "a former member"


def save_credentials(
    session: Session,
    org_id: int,
    provider: str,
    values: dict[str, str],
    *,
    actor_id: int | None,
    now: datetime,
) -> IntegrationCredential:
    """Encrypt and store the workspace's credentials for `provider` (replacing any).

    A secret left blank keeps the saved one. Writes an activity row (no secret in it).
    """
    _check_provider(provider)
    clean = {
        k: str(v).strip() for k, v in values.items() if k in FIELDS[provider] and v is not None
    }
    row = _row(session, org_id, provider)
    if row is not None:
        blanks = [k for k in SECRETS[provider] if not clean.get(k)]
        if blanks:
            old = decrypt_values(row.ciphertext)
            clean.update({k: old[k] for k in blanks if old.get(k)})
    missing = [k for k in REQUIRED[provider] if not clean.get(k)]
    if missing:
        raise CredentialsError(f"{LABELS[provider]} needs {', '.join(missing)}")
    clean = {k: v for k, v in clean.items() if v != ""}
    if row is None:
        row = IntegrationCredential(org_id=org_id, provider=provider, created_at=now)
        session.add(row)
    row.ciphertext = encrypt_values(clean)
    row.hint = hint_for(provider, clean)
    row.updated_at = now
    row.updated_by_id = actor_id
    session.flush()
    settings_changed(session, org_id, provider, now=now)  # a hold on email may end
    log_activity(
        session,
        org_id,
        "integration.credentials_saved",
        f"{LABELS[provider]} credentials saved by {_actor_words(session, actor_id)}",
        now=now,
        entity=("integration", provider),
        actor_id=actor_id,
        details={"provider": provider, "fields": sorted(clean)},
    )
    return row


def load_credentials(
    session_or_engine: Session | Engine | Connection, org_id: int, provider: str
) -> dict[str, str] | None:
    """The decrypted values, or None when the workspace has none for `provider`.

    With an Engine the row is read on a short connection of its own (closed at once), so a
    caller's open transaction is neither joined nor extended. Raises CredentialsError when
    the row cannot be decrypted with the configured keys.
    """
    query = select(IntegrationCredential.ciphertext).where(
        IntegrationCredential.org_id == org_id, IntegrationCredential.provider == provider
    )
    if isinstance(session_or_engine, Engine):
        with session_or_engine.connect() as conn:
            ciphertext = conn.execute(query).scalar()
    else:
        ciphertext = session_or_engine.execute(query).scalar()
    return None if ciphertext is None else decrypt_values(ciphertext)


def delete_credentials(
    session: Session, org_id: int, provider: str, *, actor_id: int | None, now: datetime
) -> bool:
    """Remove the workspace's credentials for `provider`; False when there were none."""
    _check_provider(provider)
    gone = session.execute(
        delete(IntegrationCredential).where(
            IntegrationCredential.org_id == org_id, IntegrationCredential.provider == provider
        )
    ).rowcount
    if not gone:
        return False
    settings_changed(session, org_id, provider, now=now)
    log_activity(
        session,
        org_id,
        "integration.credentials_removed",
        f"{LABELS[provider]} credentials removed by {_actor_words(session, actor_id)}",
        now=now,
        entity=("integration", provider),
        actor_id=actor_id,
        details={"provider": provider},
    )
    return True


def configured_providers(session: Session, org_id: int) -> set[str]:
    """The providers this workspace has its own credentials for."""
    return set(
        session.scalars(
            select(IntegrationCredential.provider).where(IntegrationCredential.org_id == org_id)
        )
    )


def credential_rows(session: Session, org_id: int) -> dict[str, IntegrationCredential]:
    rows = session.scalars(
        select(IntegrationCredential).where(IntegrationCredential.org_id == org_id)
    )
    return {row.provider: row for row in rows}


def rotate_credentials(session: Session, *, now: datetime) -> int:
    """Re-encrypt every row with the primary (first) key; returns how many rows.

    All or nothing: when a row cannot be decrypted with any configured key nothing changes
    and CredentialsError names the rows (keep the old key until this succeeds).
    """
    multi = cipher()
    rows = list(session.scalars(select(IntegrationCredential).order_by(IntegrationCredential.id)))
    rotated: list[tuple[IntegrationCredential, str]] = []
    broken: list[str] = []
    for row in rows:
        try:
            rotated.append((row, multi.rotate(row.ciphertext.encode()).decode()))
        except InvalidToken:
            broken.append(f"workspace {row.org_id} {row.provider}")
    if broken:
        raise CredentialsError(f"{UNDECRYPTABLE} ({', '.join(broken)}); nothing was re-encrypted")
    for row, token in rotated:
        row.ciphertext = token
        row.updated_at = now
    session.flush()
    return len(rotated)


def twilio_workspaces_for_number(session: Session, number: str) -> list[tuple[int, dict[str, str]]]:
    """Every workspace whose own Twilio number (SMS or WhatsApp) is `number`, with its
    decrypted credentials, by workspace id. Any owner can type any number, so a claim proves
    nothing by itself: the caller checks which claimant's token signed the request. Numbers
    are not secret, so they are matched on the masked hint before anything is decrypted;
    a row that cannot be decrypted is logged (without any secret) and left out."""
    wanted = number.removeprefix("whatsapp:").strip()
    if not wanted:
        return []
    rows = session.execute(
        select(
            IntegrationCredential.org_id,
            IntegrationCredential.hint,
            IntegrationCredential.ciphertext,
        )
        .where(IntegrationCredential.provider == "twilio")
        .order_by(IntegrationCredential.org_id)
    ).all()
    claims = []
    for org_id, hint, ciphertext in rows:
        numbers = {
            str((hint or {}).get(k, "")).removeprefix("whatsapp:")
            for k in ("from_number", "whatsapp_from")
        }
        if wanted in numbers:
            try:
                claims.append((org_id, decrypt_values(ciphertext)))
            except CredentialsError as exc:
                log.error("workspace %s twilio credentials: %s", org_id, exc)
    return claims


# --- for the adapters -----------------------------------------------------------------------


def workspace_values(org_id: int | None, provider: str) -> dict[str, str] | None:
    """The workspace's own credentials for an adapter, or None (then deployment settings apply).

    One small SELECT on a short connection of its own, never the caller's session: adapters
    run inside jobs and on the sending path, where that session may hold a write
    transaction. Needs an app context. A row that cannot be decrypted is logged (without
    any secret) and treated as absent.
    """
    if not org_id or not has_app_context():
        return None
    from webapp.core.extensions import db

    try:
        return load_credentials(db.engine, org_id, provider)
    except CredentialsError as exc:
        log.error("workspace %s %s credentials: %s", org_id, provider, exc)
        return None
