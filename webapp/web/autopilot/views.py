"""The autopilot page and its setup wizard (4 steps, htmx partials or full pages)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.core.extensions import db
from webapp.models import AutopilotConfig
from webapp.services.accounts import postal_address_of, set_postal_address
from webapp.services.ai.answers import provider_label
from webapp.services.ai.budget import DEFAULT_AI_BUDGET
from webapp.services.ai.usage import monthly_usage
from webapp.services.autopilot import config as service
from webapp.services.autopilot import planner, settings, wizard
from webapp.services.autopilot.plan_inputs import CHANNEL_NAMES
from webapp.services.connections import save_email_sender, suggested_sender
from webapp.web import htmx as hx
from webapp.web.autopilot.forms import (
    AiBudgetForm,
    AudienceForm,
    BudgetForm,
    BusinessForm,
    OptimizerForm,
    ReviewForm,
    RulesForm,
    plan_inputs,
    review_data,
    rules_data,
)
from webapp.web.context import org_required, owner_required
from webapp.web.forms import ConfirmForm

bp = Blueprint("autopilot", __name__, url_prefix="/autopilot")

STEPS = wizard.STEPS
FORMS = {
    "business": BusinessForm,
    "audience": AudienceForm,
    "budget": BudgetForm,
    "review": ReviewForm,
}
NOT_TYPED = {"csrf_token", "nav"}
MAX_TYPED_FIELDS = 60
MAX_TYPED_LENGTH = 4000


# --- the autopilot page -------------------------------------------------------------------


@bp.route("/")
@org_required
def index():
    config = service.get_config(db.session, g.org.id)
    return _index_page(config)


def _index_page(
    config: AutopilotConfig | None,
    rules_form: RulesForm | None = None,
    budget_form: AiBudgetForm | None = None,
    status: int = 200,
    optimizer_form: OptimizerForm | None = None,
):
    rules = settings.effective_rules(config)
    if rules_form is None:
        rules_form = RulesForm(formdata=None, data=rules_data(rules))
    if budget_form is None:
        amount = config.ai_monthly_budget if config is not None else DEFAULT_AI_BUDGET
        budget_form = AiBudgetForm(formdata=None, data={"ai_monthly_budget": f"{amount:.2f}"})
    if optimizer_form is None:
        value = config.lead_value if config is not None else None
        optimizer_form = OptimizerForm(formdata=None, data={
            "mode": (config.optimizer_mode if config is not None else None) or "learning",
            "lead_value": f"{value:.2f}" if value else "",
        })  # fmt: skip
    return render_template(
        "autopilot/index.html",
        config=config,
        optimizer_form=optimizer_form,
        has_plan=service.has_plan(config),
        plan=service.plan_rows(config),
        draft_step=wizard.resume_step(config) if wizard.draft(config) else None,
        steps=STEPS,
        rules=rules,
        rules_form=rules_form,
        budget_form=budget_form,
        usage=monthly_usage(db.session, g.org.id, clock.now()),
        provider=provider_label(org_id=g.org.id),
        confirm=ConfirmForm(),
        is_owner=g.membership.role == "owner",
    ), status


@bp.route("/pause", methods=["POST"])
@org_required
def pause():
    return _switch(
        service.pause,
        "Autopilot paused. Campaigns keep their budgets; nothing changes until you resume.",
    )


@bp.route("/resume", methods=["POST"])
@org_required
def resume():
    return _switch(service.resume, "Autopilot resumed.")


def _switch(action, message: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    config = service.get_config(db.session, g.org.id)
    if config is None:
        abort(404)
    try:
        action(db.session, g.org, config, actor_id=current_user.id, now=clock.now())
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return hx.redirect_to(url_for(".index"))


@bp.route("/rules", methods=["POST"])
@owner_required
def rules():
    form = RulesForm()
    config = service.get_config(db.session, g.org.id)
    if not form.validate_on_submit():
        return _index_page(config, rules_form=form, status=422)
    values = form.rules()
    problems = settings.check_rules(values)
    if problems:
        for name, message in problems.items():
            getattr(form, name).errors.append(message)
        return _index_page(config, rules_form=form, status=422)
    config = service.ensure_config(db.session, g.org, clock.now())
    settings.update_rules(
        db.session, g.org, config, values, actor_id=current_user.id, now=clock.now()
    )
    db.session.commit()
    flash("Optimisation rules saved. The next daily run uses them.", "success")
    return redirect(url_for(".index") + "#rules", code=303)


@bp.route("/optimizer", methods=["POST"])
@owner_required
def optimizer():
    form = OptimizerForm()
    config = service.get_config(db.session, g.org.id)
    if not form.validate_on_submit():
        return _index_page(config, optimizer_form=form, status=422)
    config = service.ensure_config(db.session, g.org, clock.now())
    settings.update_optimizer(
        db.session, g.org, config, mode=form.mode.data, lead_value=form.lead_value.number,
        actor_id=current_user.id, now=clock.now(),
    )  # fmt: skip
    db.session.commit()
    flash("Optimiser saved. The next daily run uses it.", "success")
    return redirect(url_for(".index") + "#optimizer", code=303)


@bp.route("/ai-budget", methods=["POST"])
@owner_required
def ai_budget():
    form = AiBudgetForm()
    config = service.get_config(db.session, g.org.id)
    if not form.validate_on_submit():
        return _index_page(config, budget_form=form, status=422)
    config = service.ensure_config(db.session, g.org, clock.now())
    settings.update_ai_budget(
        db.session, g.org, config, form.ai_monthly_budget.number.quantize(DEFAULT_AI_BUDGET),
        actor_id=current_user.id, now=clock.now(),
    )  # fmt: skip
    db.session.commit()
    flash("Monthly AI budget saved.", "success")
    return redirect(url_for(".index") + "#ai-usage", code=303)


@bp.route("/setup/discard", methods=["POST"])
@org_required
def discard():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    config = service.get_config(db.session, g.org.id)
    if config is not None and wizard.draft(config):
        wizard.discard_draft(db.session, g.org, config, actor_id=current_user.id, now=clock.now())
        db.session.commit()
        flash("The unfinished setup was discarded.", "info")
    return hx.redirect_to(url_for(".index"))


# --- the wizard ---------------------------------------------------------------------------


@bp.route("/setup")
@org_required
def setup():
    return redirect(
        url_for(".step", step=wizard.resume_step(service.get_config(db.session, g.org.id)))
    )


@bp.route("/setup/<step>", methods=["GET", "POST"])
@org_required
def step(step: str):
    if step not in STEPS:
        abort(404)
    config = service.get_config(db.session, g.org.id)
    if request.method == "GET":
        if step == "review" and wizard.draft_strategy(config) is None:
            return redirect(url_for(".step", step="budget"))
        return _show(config, step)

    nav = request.form.get("nav", "next")
    typed = _typed(step)
    now = clock.now()
    config = service.ensure_config(db.session, g.org, now)
    index = STEPS.index(step)
    if nav == "back":
        back = STEPS[max(index - 1, 0)]
        wizard.save_step(db.session, config, step, typed, reached=back, now=now)
        db.session.commit()
        return _moved(config, back)

    form = FORMS[step]()
    valid = form.validate_on_submit()
    wizard.save_step(
        db.session,
        config,
        step,
        typed,
        reached=step if not valid else STEPS[min(index + 1, 3)],
        now=now,
    )
    if not valid:
        db.session.commit()
        return _render(config, step, form, status=422)
    if step == "business":  # the workspace's From, asked here (there is no 5th step)
        save_email_sender(
            db.session,
            g.org,
            form.sender_name.data,
            form.sender_email.data,
            actor_id=current_user.id,
            now=now,
        )
    if step == "budget":
        return _plan(config)
    if step == "review":
        return _activate(config, form)
    if step == "business":  # a workspace setting, kept at once (email footers show it)
        set_postal_address(
            db.session, g.org, form.postal_address.data, actor_id=current_user.id, now=now
        )
    db.session.commit()
    return _moved(config, STEPS[index + 1])


def _typed(step: str) -> dict:
    """What was typed on `step`'s own fields (row fields such as channels-0-percent included),
    each value cut to a sane length, so the draft holds nothing else."""
    form_class = FORMS[step]
    names = {n for n in dir(form_class) if isinstance(getattr(form_class, n), UnboundField)}
    typed = {}
    for key, value in request.form.items():
        if key not in NOT_TYPED and key.split("-", 1)[0] in names and len(typed) < MAX_TYPED_FIELDS:
            typed[key] = value[:MAX_TYPED_LENGTH]
    return typed


def _plan(config: AutopilotConfig):
    """After step 3: ask the planner (only when the inputs changed) and show the strategy."""
    checked = _check_inputs(config)
    if isinstance(checked, tuple):
        return _render(config, *checked, status=422)
    if wizard.needs_strategy(config, checked):
        org_id = g.org.id
        db.session.commit()  # keep the draft, and hold no transaction while the AI answers
        strategy = planner.plan_strategy(db.session, org_id, checked, now=clock.now())
        config = service.get_config(db.session, org_id)
        wizard.store_strategy(db.session, config, strategy, checked, clock.now())
    db.session.commit()
    return _moved(config, "review")


def _activate(config: AutopilotConfig, form: ReviewForm):
    checked = _check_inputs(config)
    if isinstance(checked, tuple):
        return _render(config, *checked, status=422)
    strategy = form.strategy(wizard.draft_strategy(config) or {})
    replaced = service.activate(
        db.session, g.org, config, checked, strategy, actor_id=current_user.id, now=clock.now()
    )
    db.session.commit()
    if replaced:
        flash("The new plan is active. The next daily run adjusts your campaigns to it.", "success")
    else:
        flash(
            "Autopilot is on. The daily run creates your campaigns and keeps them tuned.", "success"
        )
    return hx.redirect_to(url_for(".index"))


def _check_inputs(config: AutopilotConfig):
    """The planner's inputs from the draft's first three steps, or (step, form) of the first
    step whose values no longer validate."""
    forms = {}
    for name in STEPS[:3]:
        values = wizard.typed_values(config, name) or {}
        form = FORMS[name](formdata=MultiDict(values), meta={"csrf": False})
        if not form.validate():
            return name, form
        forms[name] = form
    return plan_inputs(forms["business"], forms["audience"], forms["budget"])


def _form_for(config: AutopilotConfig | None, step: str):
    typed = wizard.typed_values(config, step)
    if step == "business":  # offer the saved sender, the mail server's, or the owner's
        name, address = suggested_sender(g.org, current_user.email)
        typed = {"sender_name": name, "sender_email": address, **(typed or {})}
    if step == "review" and typed is None:
        return ReviewForm(formdata=None, data=review_data(wizard.draft_strategy(config)))
    form = FORMS[step](formdata=MultiDict(typed) if typed is not None else None)
    if step == "business" and not form.postal_address.data:
        form.postal_address.data = postal_address_of(db.session, g.org.id)
    return form


def _show(config: AutopilotConfig | None, step: str):
    return _render(config, step, _form_for(config, step))


def _moved(config: AutopilotConfig, step: str):
    """Show `step` after a POST: the partial for htmx (and its URL pushed), else a redirect."""
    if not hx.is_partial():
        return redirect(url_for(".step", step=step), code=303)
    response = _render(config, step, _form_for(config, step))
    response.headers["HX-Push-Url"] = url_for(".step", step=step)
    return response


def _render(config: AutopilotConfig | None, step: str, form, status: int = 200):
    strategy = wizard.draft_strategy(config) if step == "review" else None
    context = {
        "step": step,
        "steps": STEPS,
        "titles": wizard.STEP_TITLES,
        "number": STEPS.index(step) + 1,
        "form": form,
        "strategy": strategy,
        "rationales": {c["channel"]: c["rationale"] for c in (strategy or {}).get("channels", [])},
        "channel_names": CHANNEL_NAMES,
        "replanning": service.has_plan(config),
        "has_draft": bool(wizard.draft(config)),
    }
    if hx.is_partial():
        return hx.partial("autopilot/_wizard.html", status=status, **context)
    response = hx.page_or_partial("autopilot/wizard.html", "autopilot/_wizard.html", **context)
    response.status_code = status
    return response
