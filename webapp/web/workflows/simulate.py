""" "What would this contact get in the next 14 days": find a contact, then see the workflow
walked for them (services/workflows/simulate.py: no sends, no writes)."""

from __future__ import annotations

from itertools import islice

from flask import g, render_template, request

from webapp.core import clock
from webapp.core.errors import NotFound
from webapp.core.extensions import db
from webapp.services.leads import iter_leads
from webapp.services.workflows.simulate import simulate as simulate_for
from webapp.web import htmx as hx
from webapp.web.context import org_required
from webapp.web.workflows.forms import SimulateForm
from webapp.web.workflows.views import _workflow, bp

MATCHES = 10


def _matches(q: str) -> list:
    if len((q or "").strip()) < 3:
        return []
    return list(islice(iter_leads(db.session, g.org.id, q.strip(), batch=MATCHES), MATCHES))


@bp.route("/workflows/<int:workflow_id>/simulate")
@org_required
def simulate(workflow_id: int):
    workflow = _workflow(workflow_id)
    form = SimulateForm(request.args)
    q = form.q.data if form.validate() else ""
    matches = _matches(q)
    if hx.is_partial():
        return hx.partial(
            "workflows/_contact_matches.html", workflow=workflow, matches=matches, q=q
        )
    result = None
    lead_id = request.args.get("lead_id", type=int)
    if lead_id is not None:
        try:
            result = simulate_for(db.session, g.org, workflow, lead_id, now=clock.now())
        except NotFound:  # another workspace's contact, or none: say so, never show it
            form.q.errors = ["No such contact in this workspace."]
    return render_template(
        "workflows/simulate.html",
        workflow=workflow,
        form=form,
        q=q,
        matches=matches,
        result=result,
    )
