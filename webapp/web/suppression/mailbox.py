"""Settings → Suppressed addresses → Bounce mailbox: where the VERP return path delivers
bounces and abuse reports, its encrypted credentials, and Test connection."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.connections import CredentialsError
from webapp.services.suppression import (
    WEBHOOK_LABELS,
    check_bounce_mailbox,
    mailbox_hint,
    remove_bounce_mailbox,
    save_bounce_mailbox,
    save_webhook_secrets,
    webhook_hint,
)
from webapp.web.context import org_required, owner_required
from webapp.web.forms import ConfirmForm
from webapp.web.suppression.forms import MailboxForm, WebhookSecretsForm
from webapp.web.suppression.views import bp


def _page(form=None, result=None, hooks_form=None, status=200):
    hint = mailbox_hint(db.session, g.org.id)
    if form is None:
        form = MailboxForm(
            formdata=None, data={**(hint or {}), "port": (hint or {}).get("port") or 995}
        )
    hooks_hint = webhook_hint(db.session, g.org.id)
    if hooks_form is None:
        hooks_form = WebhookSecretsForm(formdata=None, data=hooks_hint)
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    urls = {
        label: base + url_for("suppression.provider_webhook", provider=p, org_id=g.org.id)
        for p, label in WEBHOOK_LABELS.items()
    }
    return render_template(
        "suppression/mailbox.html",
        form=form,
        hint=hint,
        result=result,
        confirm=ConfirmForm(),
        hooks_form=hooks_form,
        hooks_hint=hooks_hint,
        hook_urls=urls,
    ), status


@bp.route("/settings/suppressed/mailbox")
@org_required
def mailbox():
    return _page()


@bp.route("/settings/suppressed/mailbox", methods=["POST"])
@owner_required
def save_mailbox():
    form = MailboxForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    if not form.password.data and mailbox_hint(db.session, g.org.id) is None:
        form.password.errors = ["Enter the mailbox's password."]
        return _page(form, status=422)
    try:
        save_bounce_mailbox(db.session, g.org.id, form.values(), actor_id=g.membership.user_id,
                            now=clock.now())  # fmt: skip
    except CredentialsError as exc:
        form.password.errors = [str(exc)]
        return _page(form, status=422)
    db.session.commit()
    flash("Bounce mailbox saved. Press “Test connection” to check that it works.", "success")
    return redirect(url_for("suppression.mailbox"))


@bp.route("/settings/suppressed/mailbox/test", methods=["POST"])
@owner_required
def test_mailbox():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("suppression.mailbox"))
    result = check_bounce_mailbox(db.session, g.org.id)
    db.session.commit()
    return _page(result=result)


@bp.route("/settings/suppressed/mailbox/remove", methods=["POST"])
@owner_required
def remove_mailbox():
    if ConfirmForm().validate_on_submit():
        remove_bounce_mailbox(db.session, g.org.id, actor_id=g.membership.user_id, now=clock.now())
        db.session.commit()
        flash("Bounce mailbox removed: bounces are no longer read.", "success")
    return redirect(url_for("suppression.mailbox"))


@bp.route("/settings/suppressed/webhooks", methods=["POST"])
@owner_required
def save_webhooks():
    form = WebhookSecretsForm()
    if not form.validate_on_submit():
        return _page(hooks_form=form, status=422)
    save_webhook_secrets(db.session, g.org.id, form.values(), actor_id=g.membership.user_id,
                         now=clock.now())  # fmt: skip
    db.session.commit()
    flash("Webhook secrets saved.", "success")
    return redirect(url_for("suppression.mailbox") + "#webhooks")
