"""The form-based workflow builder: the whole form posts here. With `action` (add, remove,
move a step, or re-show the form after a choice) the builder comes back changed and
nothing is saved — htmx swaps only the builder; without JavaScript the whole page comes
back. Without `action` the definition the fields describe is saved (a new version when the
workflow is live) or shown again with each error next to its field."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.workflows import DefinitionInvalid, WorkflowError, save_definition
from webapp.services.workflows.builder_form import (
    ADDABLE,
    KIND_WORDS,
    action_of,
    apply_action,
    definition_from_form,
    form_errors,
    segment_choices,
)
from webapp.services.workflows.simulate import preview_message
from webapp.web import htmx as hx
from webapp.web.context import org_required
from webapp.web.workflows.forms import BuilderForm
from webapp.web.workflows.views import _page, _workflow, bp


def context(workflow, definition: dict, errors=None, focus: str = "") -> dict:
    """What templates/workflows/_builder.html needs."""
    return {
        "draft": definition,
        "ferrors": errors or {},
        "focus": focus,
        "segments": segment_choices(db.session, g.org.id),
        "addable": ADDABLE,
        "kind_words": KIND_WORDS,
        "step_ids": [s.get("id") for s in definition.get("steps") or []],
        "builder_url": url_for("workflows.build", workflow_id=workflow.id),
        "preview_url": url_for("workflows.preview_step", workflow_id=workflow.id),
    }


@bp.route("/workflows/<int:workflow_id>/builder", methods=["POST"])
@org_required
def build(workflow_id: int):
    workflow = _workflow(workflow_id)
    form = BuilderForm(prefix="wf")
    draft = definition_from_form(request.form)
    action = action_of(request.form)
    if action:
        change = apply_action(draft.definition, action)
        # After a refresh htmx keeps the focus where the user is now; a page load needs it set.
        refreshed = hx.is_partial() and action.startswith("refresh:")
        built = context(workflow, change.definition, focus="" if refreshed else change.focus)
        if hx.is_partial():
            return hx.partial("workflows/_builder.html", announce=change.message, oob=True, **built)
        return _page(workflow, builder_form=form, built=built, announce=change.message)
    if not form.validate_on_submit():
        built = context(workflow, draft.definition, draft.errors)
        return _page(workflow, builder_form=form, built=built, status=422)
    errors = dict(draft.errors)
    if not errors:
        try:
            workflow.name = " ".join(form.name.data.split())
            version = save_definition(
                db.session, workflow, draft.definition, reentry=form.reentry.data, now=clock.now()
            )
        except (DefinitionInvalid, WorkflowError) as exc:
            db.session.rollback()
            errors = getattr(exc, "errors", None) or {getattr(exc, "field", "") or "x": str(exc)}
    if errors:
        workflow = _workflow(workflow_id)
        built = context(workflow, draft.definition, form_errors(errors))
        return _page(workflow, builder_form=form, built=built, status=422)
    db.session.commit()
    flash(f"Saved as version {version.number}. Runs already started stay on theirs.", "success")
    return redirect(url_for("workflows.show", workflow_id=workflow.id), code=303)


@bp.route("/workflows/<int:workflow_id>/builder/preview", methods=["POST"])
@org_required
def preview_step(workflow_id: int):
    """One send step's message as a contact would get it (the step's unsaved fields)."""
    _workflow(workflow_id)
    step_id = request.form.get("preview", "")
    draft = definition_from_form(request.form)
    step = next((s for s in draft.definition["steps"] if s.get("id") == step_id), None)
    if step is None or step.get("kind") != "send":
        return hx.partial("workflows/_message_preview.html", step_id=step_id, shown=None)
    shown = preview_message(db.session, g.org, step)
    return hx.partial("workflows/_message_preview.html", step_id=step_id, shown=shown)
