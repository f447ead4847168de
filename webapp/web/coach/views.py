"""The WhatsApp coach pages: its conversations, one conversation, and its settings."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import Conversation, Lead
from webapp.services.ai.answers import provider_label
from webapp.services.coach import audience as service
from webapp.services.coach import threads
from webapp.services.coach.schedule import AUDIENCE_LABELS, describe
from webapp.services.connections.channels import provider_for
from webapp.services.messaging.send_windows import zone
from webapp.web import htmx as hx
from webapp.web.coach.forms import CoachSettingsForm
from webapp.web.context import load, org_required, owner_required
from webapp.web.forms import ConfirmForm
from webapp.web.query import page_arg

bp = Blueprint("coach", __name__, url_prefix="/coach")
PER_PAGE = 25


def _tz() -> str:
    return g.org.timezone if zone(g.org.timezone) is not None else "UTC"


def _overview() -> dict:
    settings = service.get_settings(db.session, g.org.id)
    return {
        "settings": settings,
        "schedule": describe(settings, _tz()) if settings is not None else None,
        "audience": AUDIENCE_LABELS.get(settings.audience) if settings is not None else None,
        "delivery": provider_for("whatsapp", g.org.id),
        "writer": provider_label(org_id=g.org.id),  # the same lookup as Settings
        "is_owner": g.membership.role == "owner",
    }


@bp.route("/")
@org_required
def index():
    page = page_arg()
    rows, has_more = threads.list_conversations(db.session, g.org.id, page=page, per_page=PER_PAGE)
    return hx.page_or_partial(
        "coach/index.html",
        "coach/_conversations.html",
        rows=rows,
        has_more=has_more,
        page_no=page,
        **_overview(),
    )


@bp.route("/conversations/<int:conversation_id>")
@org_required
def conversation(conversation_id: int):
    conv = load(Conversation, conversation_id)
    return hx.page_or_partial("coach/show.html", "coach/_thread.html", **_thread(conv))


def _thread(conv: Conversation) -> dict:
    lead = db.session.get(Lead, conv.lead_id)
    return {
        "conversation": conv,
        "lead": lead,
        "messages": threads.conversation_messages(db.session, conv),
        "upcoming": threads.next_followup(db.session, conv),
        "problem": threads.last_problem(db.session, conv),
        "confirm": ConfirmForm(),
        **_overview(),
    }


@bp.route("/conversations/<int:conversation_id>/send-now", methods=["POST"])
@org_required
def send_now(conversation_id: int):
    conv = load(Conversation, conversation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    settings = service.get_settings(db.session, g.org.id)
    if settings is None or not settings.enabled:
        flash("Turn the coach on in its settings first.", "error")
        return hx.redirect_to(url_for(".conversation", conversation_id=conv.id))
    followup_id = threads.send_now(db.session, conv, actor_id=current_user.id, now=clock.now())
    if followup_id is None:
        flash(
            "This contact cannot get messages (opted out, no number, or a message is being sent).",
            "error",
        )
        return hx.redirect_to(url_for(".conversation", conversation_id=conv.id))
    db.session.commit()
    # Committed first: the message is written and sent with no transaction of ours open.
    result = service.process_due(
        current_app._get_current_object(), now=clock.now(), only=[followup_id]
    )  # type: ignore[attr-defined]
    if result.sent:
        flash("Follow-up sent.", "success")
    elif result.failed or result.retried:
        flash("The follow-up could not be sent; the conversation shows why.", "error")
    else:
        flash(
            "The follow-up waits for the coach's time window; it goes out at the time shown.",
            "info",
        )
    return hx.redirect_to(url_for(".conversation", conversation_id=conv.id))


@bp.route("/settings")
@org_required
def settings():
    current = service.get_settings(db.session, g.org.id)
    data = (
        {name: getattr(current, name) for name in service.SETTINGS_FIELDS}
        if current is not None
        else dict(service.DEFAULTS)
    )
    return _settings_page(CoachSettingsForm(formdata=None, data=data))


def _settings_page(form: CoachSettingsForm, status: int = 200):
    return render_template("coach/settings.html", form=form, tz=_tz(), **_overview()), status


@bp.route("/settings", methods=["POST"])
@owner_required
def save_settings():
    form = CoachSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, 422)
    try:
        service.save_settings(
            db.session, g.org.id, form.values(), actor_id=current_user.id, now=clock.now()
        )
    except service.SettingsInvalid as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        return _settings_page(form, 422)
    db.session.commit()
    state = "on" if form.enabled.data else "off"
    flash(f"Coach settings saved. The coach is {state}.", "success")
    return redirect(url_for(".settings"), code=303)
