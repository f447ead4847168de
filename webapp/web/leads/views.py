"""The lead inbox: search, filters, sort, pages, inline status; a lead's page; adding one;
the CSV export. Import, settings and the public form live in the sibling modules."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.core.extensions import db
from webapp.models import Campaign, Lead, User
from webapp.services.leads import search as lead_search
from webapp.services.leads.capture import LeadInvalid, capture_lead
from webapp.services.leads.csv_export import export_csv
from webapp.services.leads.forms import form_token
from webapp.services.leads.handling import change_status, lead_timeline, update_notes
from webapp.services.suppression import suppressions_for_lead
from webapp.web import htmx as hx
from webapp.web.context import load, org_required
from webapp.web.leads.forms import (
    STATUS_CHOICES,
    InboxForm,
    NewLeadForm,
    NotesForm,
    StatusForm,
)

bp = Blueprint("leads", __name__)

PER_PAGE = 25


def public_form_url() -> str:
    """The address of this workspace's public form (for the snippet)."""
    token = form_token(current_app.config["SECRET_KEY"], g.org.id)
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(
        "lead_form.submit", form_token=token
    )


def _criteria(form: InboxForm) -> tuple[str, lead_search.LeadFilter, str, int]:
    """(q, filters, sort, page) from a validated form; a field with an error counts as unset."""

    def ok(f):
        return None if f.errors else f.data

    filters = lead_search.LeadFilter(
        status=ok(form.status) or None,
        source=ok(form.source) or None,
        since=ok(form.since),
        until=ok(form.until),
        min_score=ok(form.min_score),
        tz=g.org.timezone,
    )
    return (ok(form.q) or "").strip(), filters, ok(form.sort) or "newest", ok(form.page) or 1


def _query(**changes) -> dict:
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    args.update({k: v for k, v in changes.items() if v})
    return args


@bp.route("/leads")
@org_required
def index():
    form = InboxForm(request.args)
    partial = hx.is_partial()
    sources = [] if partial else lead_search.distinct_sources(db.session, g.org.id)
    form.source.choices = [("", "Any source")] + [(s, s) for s in sources]
    form.validate()
    q, filters, sort, page = _criteria(form)
    result = lead_search.search_leads(
        db.session, g.org.id, q, filters, sort, page, PER_PAGE, listing=True
    )
    has_any = (
        bool(result.rows)
        or db.session.scalar(select(Lead.id).where(Lead.org_id == g.org.id).limit(1)) is not None
    )
    context = dict(
        form=form,
        result=result,
        has_any=has_any,
        filtered=bool(q or filters.active),
        query=_query(),
        status_choices=STATUS_CHOICES,
        status_options=status_options(tuple(STATUS_CHOICES)),
        form_url=None if has_any else public_form_url(),
    )
    return hx.page_or_partial("leads/index.html", "leads/_results.html", **context)


@cache
def status_options(choices: tuple[tuple[str, str], ...]) -> dict[str, Markup]:
    """Each status's <option> list with that status selected: built once a process, not once
    a row (the inbox's rows pick theirs; a status not among the choices falls back)."""
    option = Markup('<option value="{}" {}>{}</option>')
    return {
        chosen: Markup("").join(
            option.format(value, Markup("selected") if value == chosen else "", label)
            for value, label in choices
        )
        for chosen, _label in choices
    }


@bp.route("/leads/export.csv")
@org_required
def export():
    form = InboxForm(request.args)
    form.source.choices = [("", "")]
    form.validate()
    q, filters, sort, _page = _criteria(form)
    zone = ZoneInfo(g.org.timezone)
    org_id = g.org.id
    rows = lead_search.iter_leads(db.session, org_id, q, filters, sort)
    name = f"leads-{clock.now().astimezone(zone):%Y-%m-%d}.csv"
    return Response(
        stream_with_context(export_csv(rows, zone)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/leads/<int:lead_id>")
@org_required
def show(lead_id: int):
    lead = load(Lead, lead_id)
    return _lead_page(lead, NotesForm(notes=lead.notes))


def _lead_page(lead: Lead, notes_form: NotesForm, status: int = 200):
    extra = {k: v for k, v in (lead.extra or {}).items() if not k.startswith("_")}
    timeline = lead_timeline(db.session, lead)
    actor_ids = {e.actor_id for e in timeline if e.actor_id}
    actors = (
        dict(
            db.session.execute(select(User.id, User.name).where(User.id.in_(actor_ids)))
            .tuples()
            .all()
        )
        if actor_ids
        else {}
    )
    campaign = db.session.get(Campaign, lead.campaign_id) if lead.campaign_id else None
    return render_template(
        "leads/show.html",
        lead=lead,
        notes_form=notes_form,
        extra=extra,
        timeline=timeline,
        actors=actors,
        campaign=campaign if campaign and campaign.org_id == lead.org_id else None,
        status_choices=StatusForm().status.choices,
        suppressed=suppressions_for_lead(db.session, lead),
    ), status


@bp.route("/leads/<int:lead_id>/status", methods=["POST"])
@org_required
def set_status(lead_id: int):
    lead = load(Lead, lead_id)
    form = StatusForm()
    detail = request.form.get("view") == "detail"
    template = "leads/_status.html" if detail else "leads/_rows.html"
    choices = form.status.choices
    if not form.validate_on_submit():
        if hx.is_partial():
            return hx.partial(
                template,
                status=422,
                lead=lead,
                leads=[lead],
                status_choices=choices,
                error="Choose one of the statuses.",
            )
        flash("Choose one of the statuses.", "error")
        return redirect(url_for("leads.show", lead_id=lead.id))
    try:
        change_status(
            db.session,
            lead,
            form.status.data,
            now=clock.now(),
            actor_id=current_user.id,
            actor_name=current_user.name,
        )
    except DomainError as exc:
        return hx.partial(
            template, status=422, lead=lead, leads=[lead], status_choices=choices, error=str(exc)
        )
    db.session.commit()
    if hx.is_partial():
        return hx.trigger(
            hx.partial(template, lead=lead, leads=[lead], status_choices=choices, saved=True),
            "lead-changed",
        )
    flash(f"Status set to {lead.status}.", "success")
    return redirect(url_for("leads.show", lead_id=lead.id))


@bp.route("/leads/<int:lead_id>/notes", methods=["POST"])
@org_required
def save_notes(lead_id: int):
    lead = load(Lead, lead_id)
    form = NotesForm()
    if not form.validate_on_submit():
        return _lead_page(lead, form, status=422)
    if update_notes(
        db.session,
        lead,
        form.notes.data or "",
        now=clock.now(),
        actor_id=current_user.id,
        actor_name=current_user.name,
    ):
        db.session.commit()
        flash("Notes saved.", "success")
    return redirect(url_for("leads.show", lead_id=lead.id))


@bp.route("/leads/new", methods=["GET", "POST"])
@org_required
def new():
    form = NewLeadForm()
    if form.validate_on_submit():
        data = {
            "name": form.name.data,
            "email": form.email.data,
            "phone": form.phone.data,
            "company": form.company.data,
            "source": form.source.data,
        }
        try:
            lead, created = capture_lead(
                db.session,
                g.org.id,
                data,
                source="manual",
                now=clock.now(),
                actor_id=current_user.id,
            )
        except LeadInvalid as exc:
            for name, message in exc.errors.items():
                target = getattr(form, name if name != "full_name" else "name", None) or form.email
                target.errors = [*target.errors, _sentence(message)]
        else:
            db.session.commit()
            flash(
                "Lead added."
                if created
                else "This contact was already in the inbox: the details were merged into it.",
                "success",
            )
            return redirect(url_for("leads.show", lead_id=lead.id))
    status = 422 if form.errors else 200
    return render_template("leads/new.html", form=form), status


def _sentence(message: str) -> str:
    if message == "no email or phone":
        return "Enter an email or a phone number: a lead needs one of them."
    return message[:1].upper() + message[1:]


from webapp.web.leads import imports as _imports  # noqa: E402, F401  (CSV import routes)
from webapp.web.leads import settings as _settings  # noqa: E402, F401  (lead capture settings)
