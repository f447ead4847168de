"""Marketing Autopilot: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.core.config import ConfigError, load_config
from webapp.core.db import configure_engine
from webapp.core.extensions import csrf, db, htmx, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def check_mail_settings(app: Flask) -> None:
    """Refuse a From that is not one address (an unquoted comma once made `From: Smith`
    and `MAIL FROM:<Smith>`), and say at start when real mail is held for an http
    PUBLIC_URL (RFC 8058 one-click unsubscribe needs https)."""
    from webapp.integrations.email import AddressError, insecure_public_url, parse_address

    for name in ("SMTP_FROM", "MAIL_FROM"):
        value = app.config.get(name)
        if value:
            try:
                parse_address(value)
            except AddressError as exc:
                raise ConfigError(f"{name}: {exc}") from exc
    problem = insecure_public_url(app.config.get("PUBLIC_URL"))
    if problem and app.config.get("SMTP_HOST"):
        logging.getLogger("webapp").warning("Email is held: %s", problem)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints. Never starts the scheduler."""
    load_dotenv(Path.cwd() / ".env", override=False)
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(instance))
    app.config.update(config or {})
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    from sqlalchemy.engine import make_url

    import webapp.models  # noqa: F401  (register every table)

    logging.getLogger("webapp").info(
        "database %s; scheduler %s; email: %s; SMS/WhatsApp: %s; AI: %s",
        make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True),
        "enabled" if app.config["SCHEDULER_ENABLED"] else "disabled in this process",
        f"SMTP ({app.config['SMTP_HOST']}:{app.config['SMTP_PORT']})"
        if app.config.get("SMTP_HOST")
        else "outbox",
        "Twilio"
        if app.config.get("TWILIO_ACCOUNT_SID") and app.config.get("TWILIO_FROM")
        else "outbox",
        f"OpenAI ({app.config['OPENAI_MODEL']})"
        if app.config.get("OPENAI_API_KEY")
        else "built-in",
    )

    check_mail_settings(app)

    if app.config.get("TRUSTED_PROXIES"):  # the client address from X-Forwarded-For (README)
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)

    from webapp.web import register_web

    register_web(app)

    from webapp.cli import register_cli

    register_cli(app)
    return app
