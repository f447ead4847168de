"""Workflows: the list with run counts, create from a template, the workflow page (the
form-based builder of builder.py and the validated JSON editor, with errors per step and
field), runs and their step log, pause / resume / cancel, "run for this contact", the
simulation of simulate.py, and the inbound webhook."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user

from webapp.core import clock
from webapp.core.errors import NotFound
from webapp.core.extensions import csrf, db
from webapp.services.messaging import message_results
from webapp.services.workflows import (
    TEMPLATES,
    DefinitionInvalid,
    WorkflowError,
    connect,
    control_execution,
    create_from_template,
    create_workflow,
    current_definition,
    get_execution,
    get_workflow,
    list_workflows,
    receive_hook,
    run_for_contact,
    runs_of,
    save_definition,
    set_status,
    step_log,
)
from webapp.web.context import org_required
from webapp.web.workflows.forms import (
    ActionForm,
    BuilderForm,
    DefinitionForm,
    RunForm,
    TemplateForm,
)

bp = Blueprint("workflows", __name__)
BLANK = {"trigger": {"kind": "manual"}, "steps": [{"id": "done", "kind": "exit"}]}


@bp.record_once
def _subscribe(state: BlueprintSetupState) -> None:
    connect(state.app)


def _workflow(workflow_id: int):
    try:
        return get_workflow(db.session, g.org.id, workflow_id)
    except NotFound:  # another workspace's, or none
        abort(404)


def _run(execution_id: int):
    try:
        return get_execution(db.session, g.org.id, execution_id)
    except NotFound:
        abort(404)


@bp.route("/workflows")
@org_required
def index():
    return render_template(
        "workflows/index.html",
        rows=list_workflows(db.session, g.org.id),
        form=TemplateForm(),
        templates=TEMPLATES,
    )


@bp.route("/workflows/new", methods=["POST"])
@org_required
def new():
    form = TemplateForm()
    if not form.validate_on_submit():
        abort(400)
    now = clock.now()
    if form.template.data == "blank":
        workflow = create_workflow(
            db.session,
            g.org.id,
            name="New workflow",
            definition=BLANK,
            actor_id=current_user.id,
            now=now,
        )
    else:
        workflow = create_from_template(
            db.session, g.org.id, form.template.data, actor_id=current_user.id, now=now
        )
    db.session.commit()
    flash(f"Workflow {workflow.name} created as a draft: review it, then activate it.", "success")
    return redirect(url_for("workflows.show", workflow_id=workflow.id), code=303)


def _page(
    workflow,
    form=None,
    errors=None,
    run_form=None,
    status=200,
    *,
    builder_form=None,
    built=None,
    announce="",
):
    version, definition = current_definition(db.session, workflow)
    if builder_form is None:
        builder_form = BuilderForm(prefix="wf", name=workflow.name, reentry=workflow.reentry)
    if form is None:
        form = DefinitionForm(
            name=workflow.name,
            reentry=workflow.reentry,
            definition=json.dumps(definition, indent=2, ensure_ascii=False),
        )
    hook_url = url_for("workflows.hook", token=workflow.hook_token, _external=True)
    return render_template(
        "workflows/show.html",
        workflow=workflow,
        version=version,
        form=form,
        errors=errors or {},
        run_form=run_form or RunForm(),
        action_form=ActionForm(),
        runs=runs_of(db.session, workflow),
        results=message_results(db.session, workflow.org_id, workflow.carrier_campaign_id)
        if workflow.carrier_campaign_id
        else [],
        hook_url=hook_url,
        builder_form=builder_form,
        announce=announce,
        **(built or builder.context(workflow, definition)),
    ), status


@bp.route("/workflows/<int:workflow_id>", methods=["GET", "POST"])
@org_required
def show(workflow_id: int):
    workflow = _workflow(workflow_id)
    if request.method == "GET":
        return _page(workflow)
    form = DefinitionForm()
    if not form.validate_on_submit():
        return _page(workflow, form, status=422)
    try:
        data = json.loads(form.definition.data)
    except ValueError as exc:
        return _page(workflow, form, {"definition": f"Not valid JSON: {exc}"}, status=422)
    try:
        workflow.name = " ".join(form.name.data.split())
        version = save_definition(
            db.session, workflow, data, reentry=form.reentry.data, now=clock.now()
        )
    except DefinitionInvalid as exc:
        db.session.rollback()
        return _page(_workflow(workflow_id), form, exc.errors, status=422)
    db.session.commit()
    flash(f"Saved as version {version.number}. Runs already started stay on theirs.", "success")
    return redirect(url_for("workflows.show", workflow_id=workflow.id), code=303)


@bp.route("/workflows/<int:workflow_id>/status", methods=["POST"])
@org_required
def status(workflow_id: int):
    workflow = _workflow(workflow_id)
    if not ActionForm().validate_on_submit() or request.form.get("to") not in ("active", "paused"):
        abort(400)
    try:
        set_status(
            db.session, workflow, request.form["to"], actor_id=current_user.id, now=clock.now()
        )
    except WorkflowError as exc:
        flash(str(exc), "error")
        return redirect(url_for("workflows.show", workflow_id=workflow.id), code=303)
    db.session.commit()
    flash(f"Workflow {workflow.name} is {workflow.status}.", "success")
    return redirect(url_for("workflows.show", workflow_id=workflow.id), code=303)


@bp.route("/workflows/<int:workflow_id>/run", methods=["POST"])
@org_required
def run(workflow_id: int):
    workflow = _workflow(workflow_id)
    form = RunForm()
    if not form.validate_on_submit():
        return _page(workflow, run_form=form, status=422)
    try:
        execution = run_for_contact(
            db.session, workflow, form.contact.data, test_mode=form.test_mode.data, now=clock.now()
        )
    except WorkflowError as exc:
        db.session.rollback()
        form.contact.errors = [str(exc)]
        return _page(_workflow(workflow_id), run_form=form, status=422)
    db.session.commit()
    flash("The run started; its first step runs in a moment.", "success")
    return redirect(url_for("workflows.execution", execution_id=execution.id), code=303)


@bp.route("/workflows/runs/<int:execution_id>")
@org_required
def execution(execution_id: int):
    run_ = _run(execution_id)
    workflow = _workflow(run_.workflow_id)
    return render_template(
        "workflows/execution.html",
        run=run_,
        workflow=workflow,
        log=step_log(db.session, run_),
        action_form=ActionForm(),
    )


@bp.route("/workflows/runs/<int:execution_id>/<action>", methods=["POST"])
@org_required
def control(execution_id: int, action: str):
    if action not in ("pause", "resume", "cancel") or not ActionForm().validate_on_submit():
        abort(400 if action in ("pause", "resume", "cancel") else 404)
    run_ = _run(execution_id)
    changed = control_execution(db.session, run_, action, now=clock.now())
    db.session.commit()
    done = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[action]
    flash(
        f"Run {done}." if changed else f"This run could not be {done} (it is {run_.status}).",
        "success" if changed else "error",
    )
    return redirect(url_for("workflows.execution", execution_id=run_.id), code=303)


@bp.route("/hooks/workflows/<token>", methods=["POST"])
@csrf.exempt
def hook(token: str):
    """Inbound webhook: HMAC-SHA256 of the body, hex, in X-Signature; else 401."""
    try:
        execution = receive_hook(
            db.session,
            token[:100],
            request.get_data(cache=False)[:70_000],
            request.headers.get("X-Signature", ""),
            now=clock.now(),
        )
    except PermissionError:
        db.session.rollback()
        return jsonify(error="invalid signature"), 401
    except WorkflowError as exc:
        db.session.rollback()
        return jsonify(error=str(exc), field=exc.field), 400
    db.session.commit()
    return jsonify(
        started=execution is not None, execution_id=execution.id if execution else None
    ), 202


# The builder's and the simulation's routes live in their own modules, on this blueprint.
from webapp.web.workflows import builder, simulate  # noqa: E402, F401
