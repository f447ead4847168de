"""Settings → Integrations: a card per provider with its status, its form, and Test connection."""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import CircuitBreaker, IntegrationCredential
from webapp.services.connections import checks as connection_tests
from webapp.services.connections import credentials
from webapp.web import htmx as hx
from webapp.web.connections.ads_forms import FIRST_SAVE_SECRETS
from webapp.web.connections.forms import FORMS, SECRET_FIELD
from webapp.web.context import org_required, owner_required
from webapp.web.forms import ConfirmForm

bp = Blueprint("integrations", __name__, url_prefix="/settings/integrations")
PROVIDER = "<any(smtp,twilio,openai,google_ads,meta_ads):provider>"

ABOUT = {
    "smtp": (
        "Email (SMTP)",
        "Your own mail server sends campaign and report email.",
        "email goes to the outbox",
    ),
    "twilio": (
        "Twilio SMS & WhatsApp",
        "Your Twilio account sends text and WhatsApp messages.",
        "SMS and WhatsApp go to the outbox",
    ),
    "openai": (
        "OpenAI",
        "OpenAI writes plans, messages and replies.",
        "the built-in writer writes",
    ),
    "google_ads": (
        "Google Ads",
        "Each day the autopilot reads your linked campaigns' spend, clicks and conversions "
        "from Google Ads, and sets their daily budgets to follow its plan.",
        "upload results by CSV",
    ),
    "meta_ads": (
        "Meta ads (Facebook & Instagram)",
        "Each day the autopilot reads your linked campaigns' spend, clicks and conversions "
        "from Meta, and sets their daily budgets to follow its plan.",
        "upload results by CSV",
    ),
}


@bp.record_once
def _announce_key(state) -> None:
    credentials.announce_key(state.app.config)


@dataclass
class Card:
    provider: str
    title: str
    about: str
    fallback: str
    status: str  # workspace | environment | none
    row: IntegrationCredential | None
    error: str | None
    form: FlaskForm | None
    health: CircuitBreaker | None
    env: bool = False  # the deployment's settings exist (used when the workspace has none)
    result: connection_tests.ConnectionResult | None = None
    notice: str | None = None

    @property
    def hint(self) -> dict:
        return self.row.hint if self.row is not None else {}

    @property
    def configured(self) -> bool:
        return self.status != "none"


def _env_configured(provider: str) -> bool:
    config = current_app.config
    if provider == "smtp":
        return bool(config.get("SMTP_HOST"))
    if provider == "twilio":
        return bool(
            config.get("TWILIO_ACCOUNT_SID")
            and config.get("TWILIO_AUTH_TOKEN")
            and config.get("TWILIO_FROM")
        )
    if provider == "openai":
        return bool(config.get("OPENAI_API_KEY"))
    return False  # ad accounts are each workspace's own: there are no deployment settings


def _card(provider: str, *, form: FlaskForm | None = None, **extra) -> Card:
    org_id = g.org.id
    row = credentials.credential_rows(db.session, org_id).get(provider)
    error = None
    if row is not None:
        try:
            credentials.decrypt_values(row.ciphertext)
        except credentials.CredentialsError as exc:
            error = str(exc)
    env = _env_configured(provider)
    status = "workspace" if row is not None else "environment" if env else "none"
    if form is None and g.membership.role == "owner":
        form = FORMS[provider](prefix=provider, formdata=None)
        if row is not None:
            form.fill(row.hint)
    health = db.session.scalar(
        select(CircuitBreaker).where(
            CircuitBreaker.org_id == org_id, CircuitBreaker.provider == provider
        )
    )
    title, about, fallback = ABOUT[provider]
    return Card(provider, title, about, fallback, status, row, error, form, health, env, **extra)


def _render_card(card: Card, status: int = 200):
    if hx.is_partial():
        return hx.partial(
            "integrations/_card.html", status=status, card=card, confirm=ConfirmForm()
        )
    return _page({card.provider: card}, status)


def _page(cards: dict[str, Card] | None = None, status: int = 200):
    cards = cards or {}
    every = [cards.get(p) or _card(p) for p in ABOUT]
    page = render_template("integrations/index.html", cards=every, confirm=ConfirmForm())
    return make_response(page, status)  # a response, which hx.trigger can add to


@bp.route("")
@org_required
def index():
    return _page()


@bp.route(f"/{PROVIDER}", methods=["POST"])
@owner_required
def save(provider: str):
    form = FORMS[provider](prefix=provider)
    valid = form.validate_on_submit()
    secret = SECRET_FIELD.get(provider)
    has_row = provider in credentials.configured_providers(db.session, g.org.id)
    for name in FIRST_SAVE_SECRETS.get(provider, (secret,) if secret else ()):
        if valid and not has_row and not getattr(form, name).data:
            getattr(form, name).errors = [f"Enter the {getattr(form, name).label.text.lower()}."]
            valid = False
    if valid:
        try:
            credentials.save_credentials(
                db.session,
                g.org.id,
                provider,
                form.values(),
                actor_id=current_user.id,
                now=clock.now(),
            )
        except credentials.CredentialsError as exc:
            db.session.rollback()
            field = getattr(form, secret or FIRST_SAVE_SECRETS.get(provider, ("password",))[0])
            field.errors = [f"{exc}. Enter it again."]
            valid = False
    if not valid:
        return _render_card(_card(provider, form=form), 422)
    db.session.commit()
    return _changed(provider, "Saved. Press “Test connection” to check that they work.")


@bp.route(f"/{PROVIDER}/remove", methods=["POST"])
@owner_required
def remove(provider: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    removed = credentials.delete_credentials(
        db.session, g.org.id, provider, actor_id=current_user.id, now=clock.now()
    )
    db.session.commit()
    return _changed(provider, "Removed." if removed else "There was nothing to remove.")


def _changed(provider: str, notice: str):
    """After a save or removal: the card again with `notice` (htmx), or the page with a flash."""
    if not hx.is_partial():
        flash(f"{ABOUT[provider][0]}: {notice}", "success")
        return hx.redirect_to(url_for("integrations.index"))
    return hx.trigger(_render_card(_card(provider, notice=notice)), "activity-changed")


@bp.route(f"/{PROVIDER}/test", methods=["POST"])
@org_required
def test(provider: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    org_id, user_id = g.org.id, current_user.id
    # The request began a write transaction; end it so nothing is held across the provider call.
    db.session.rollback()
    result = connection_tests.test_connection(
        db.session, org_id, provider, now=clock.now(), actor_id=user_id
    )
    db.session.commit()
    return hx.trigger(_render_card(_card(provider, result=result)), "activity-changed")
