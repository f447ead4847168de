"""CSV import: upload, preview with the column mapping, then the import in short batches
that the progress partial keeps asking for until the file is done."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.core import clock
from webapp.core.errors import DomainError, NotFound
from webapp.core.extensions import db
from webapp.services.leads import csv_import as lead_import
from webapp.services.leads import import_files
from webapp.web import htmx as hx
from webapp.web.context import org_required
from webapp.web.forms import ConfirmForm
from webapp.web.leads.forms import UploadForm
from webapp.web.leads.views import bp

# Each run request imports for about this long, then answers with the progress so far.
RUN_BUDGET_SECONDS = 2.5


def _store() -> import_files.ImportStore:
    return import_files.ImportStore(
        current_app.config.get("LEAD_IMPORT_DIR") or Path(current_app.instance_path) / "imports"
    )


def _state(token: str) -> import_files.ImportState:
    try:
        return _store().load_state(g.org.id, token)
    except NotFound:
        abort(404)


@bp.route("/leads/import", methods=["GET", "POST"])
@org_required
def import_upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            token = _store().save_upload(g.org.id, upload.filename, upload.stream, now=clock.now())
            lead_import.preview(_store(), g.org.id, token)
        except import_files.ImportFileError as exc:
            form.file.errors = [str(exc)]
        else:
            return redirect(url_for("leads.import_preview", token=token))
    status = 422 if form.errors else 200
    return render_template("leads/import_upload.html", form=form, fields=lead_import.FIELDS), status


@bp.route("/leads/import/<token>", methods=["GET", "POST"])
@org_required
def import_preview(token: str):
    state = _state(token)
    if state.started:
        return render_template(
            "leads/import_progress.html", state=state, token=token, form=ConfirmForm()
        )
    try:
        pv = lead_import.preview(_store(), g.org.id, token)
    except import_files.ImportFileError as exc:
        flash(str(exc), "error")
        return redirect(url_for("leads.import_upload"))
    form = ConfirmForm()
    error, mapping, status = None, pv.mapping, 200
    if request.method == "POST" and form.validate_on_submit():
        mapping = [request.form.get(f"col{i}", "ignore") for i in range(len(pv.headers))]
        try:
            lead_import.start_import(_store(), g.org.id, token, mapping)
        except DomainError as exc:
            error, status = str(exc), 422
        else:
            return redirect(url_for("leads.import_preview", token=token))
    return render_template(
        "leads/import_preview.html",
        pv=pv,
        mapping=mapping,
        fields=lead_import.FIELDS,
        token=token,
        state=state,
        form=form,
        error=error,
    ), status


@bp.route("/leads/import/<token>/run", methods=["POST"])
@org_required
def import_run(token: str):
    """Import the next rows for a couple of seconds; answer with the progress partial."""
    store = _store()
    state = _state(token)
    if not state.started:
        return hx.redirect_to(url_for("leads.import_preview", token=token))
    delay = "50ms"
    if not state.done:
        try:
            with store.locked(g.org.id, token):
                state = store.load_state(g.org.id, token)  # as the last run left it
                lead_import.run_import(
                    db.session,
                    store,
                    token,
                    state,
                    now=clock.now(),
                    actor_id=current_user.id,
                    actor_name=current_user.name,
                    commit=db.session.commit,
                    budget_seconds=RUN_BUDGET_SECONDS,
                )
        except import_files.ImportBusy:
            delay = "2s"  # another tab is importing it: show its saved progress, ask again later
    if hx.is_partial():
        response = hx.partial("leads/_import_progress.html", state=state, token=token, delay=delay)
        return hx.trigger(response, "leads-imported") if state.done else response
    return redirect(url_for("leads.import_preview", token=token))
