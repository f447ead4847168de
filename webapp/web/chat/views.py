"""The chat pages for staff: the inbox, one conversation (reply, resolve), the intents with
their figures and editor, and the settings with the widget's script tag."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import ChatIntent, Conversation, Lead, Workflow
from webapp.services.chat import escalation, inbox, intents
from webapp.services.chat.threads import transcript
from webapp.web.chat.forms import ChatSettingsForm, IntentForm, ReplyForm
from webapp.web.context import load, org_required, owner_required
from webapp.web.forms import ConfirmForm
from webapp.web.query import page_arg

bp = Blueprint("chat", __name__, url_prefix="/chat")
PER_PAGE = 25


@bp.route("/")
@org_required
def inbox_page():
    intents.chat_settings(db.session, g.org.id, now=clock.now())
    db.session.commit()
    state = request.args.get("state")
    state = state if state in inbox.STATES else None
    page = page_arg()
    rows, has_more = inbox.list_conversations(
        db.session, g.org.id, state=state, page=page, per_page=PER_PAGE
    )
    return render_template(
        "chat/inbox.html",
        rows=rows,
        has_more=has_more,
        page_no=page,
        state=state,
        counts=inbox.state_counts(db.session, g.org.id),
        reasons=escalation.REASONS,
    )


def _conversation_context(conv: Conversation, form: ReplyForm | None = None) -> dict:
    lead = db.session.get(Lead, conv.lead_id) if conv.lead_id else None
    return {
        "conversation": conv,
        "lead": lead,
        "messages": transcript(db.session, conv, limit=500),
        "form": form or ReplyForm(),
        "confirm": ConfirmForm(),
        "reasons": escalation.REASONS,
        "channel_word": escalation.CHANNEL_WORDS.get(conv.channel, conv.channel),
    }


@bp.route("/conversations/<int:conversation_id>")
@org_required
def conversation(conversation_id: int):
    conv = load(Conversation, conversation_id)
    if conv.chat_state is None:
        abort(404)
    return render_template("chat/conversation.html", **_conversation_context(conv))


@bp.route("/conversations/<int:conversation_id>/reply", methods=["POST"])
@org_required
def reply(conversation_id: int):
    conv = load(Conversation, conversation_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_template("chat/conversation.html", **_conversation_context(conv, form)), 400
    try:
        planned = escalation.plan_reply(db.session, conv, form.body.data)
    except escalation.ReplyRefused as exc:
        form.body.errors = [str(exc)]
        return render_template("chat/conversation.html", **_conversation_context(conv, form)), 400
    db.session.commit()  # the send writes its breaker state in transactions of its own
    try:
        receipt = escalation.send_reply(planned, engine=db.engine, now=clock.now())
    except escalation.ReplyRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for(".conversation", conversation_id=conv.id))
    conv = load(Conversation, conversation_id)
    escalation.record_reply(
        db.session, conv, planned, receipt, actor_id=current_user.id, now=clock.now()
    )
    db.session.commit()
    flash("Reply sent.", "success")
    return redirect(url_for(".conversation", conversation_id=conv.id))


@bp.route("/conversations/<int:conversation_id>/resolve", methods=["POST"])
@org_required
def resolve(conversation_id: int):
    conv = load(Conversation, conversation_id)
    if not ConfirmForm().validate_on_submit() or conv.chat_state is None:
        abort(400)
    escalation.resolve(db.session, conv, actor_id=current_user.id, now=clock.now())
    db.session.commit()
    flash("Conversation resolved. The bot answers again if they write.", "success")
    return redirect(url_for(".inbox_page"))


@bp.route("/intents")
@org_required
def intents_page():
    intents.chat_settings(db.session, g.org.id, now=clock.now())
    db.session.commit()
    return render_template(
        "chat/intents.html", figures=intents.intent_figures(db.session, g.org.id)
    )


def _workflow_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Workflow.id, Workflow.name)
        .where(Workflow.org_id == g.org.id)
        .order_by(Workflow.name)
    ).all()
    return [(0, "— none —")] + [(wid, name) for wid, name in rows]


@bp.route("/intents/new", methods=["GET", "POST"])
@bp.route("/intents/<int:intent_id>", methods=["GET", "POST"])
@org_required
def edit_intent(intent_id: int | None = None):
    intent = load(ChatIntent, intent_id) if intent_id is not None else None
    form = IntentForm()
    form.workflow_id.choices = _workflow_choices()
    if request.method == "GET" and intent is not None:
        form.name.data, form.description.data = intent.name, intent.description
        form.training_phrases.data = "\n".join(intent.training_phrases)
        form.responses.data = "\n".join(intent.responses)
        form.actions.data, form.workflow_id.data = list(intent.actions), intent.workflow_id or 0
    if form.validate_on_submit():
        try:
            saved = intents.save_intent(
                db.session, g.org.id, form.values(), intent=intent, now=clock.now()
            )
        except intents.IntentInvalid as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors = [message]
        else:
            db.session.commit()
            flash(f"Intent {saved.name} saved; the bot has learnt it.", "success")
            return redirect(url_for(".intents_page"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "chat/intent_form.html", form=form, intent=intent, confirm=ConfirmForm()
    ), status


@bp.route("/intents/<int:intent_id>/delete", methods=["POST"])
@org_required
def delete_intent(intent_id: int):
    intent = load(ChatIntent, intent_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    intents.delete_intent(db.session, intent, now=clock.now())
    db.session.commit()
    flash("Intent deleted.", "success")
    return redirect(url_for(".intents_page"))


@bp.route("/settings", methods=["GET", "POST"])
@owner_required
def settings():
    current = intents.chat_settings(db.session, g.org.id, now=clock.now())
    form = ChatSettingsForm(obj=current)
    if form.validate_on_submit():
        intents.save_settings(
            db.session,
            current,
            {name: getattr(form, name).data for name in intents.SETTINGS_FIELDS},
            now=clock.now(),
        )
        db.session.commit()
        flash("Chat settings saved.", "success")
        return redirect(url_for(".settings"))
    db.session.commit()
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    snippet = (
        f'<script src="{base}{url_for("static", filename="chat/widget.js")}" '
        f'data-chat="{current.widget_key}" async></script>'
    )
    status = 400 if form.is_submitted() else 200
    return render_template("chat/settings.html", form=form, snippet=snippet), status
