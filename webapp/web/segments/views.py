"""Segments: the list, the rules builder with its live count, the member list and export,
delete; and a contact's tags."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import current_user

from webapp.core import clock, signals
from webapp.core.extensions import db
from webapp.models import Lead, Segment
from webapp.services.leads import export_csv
from webapp.services.segments import manage, subscribers
from webapp.services.segments.rules import RulesInvalid
from webapp.services.segments.tags import add_tag, remove_tag, tags_of
from webapp.web import htmx as hx
from webapp.web.context import load, org_required
from webapp.web.segments import builder
from webapp.web.segments.choices import builder_context
from webapp.web.segments.forms import AttributeForm, PageForm, SegmentForm, TagForm

bp = Blueprint("segments", __name__)
PER_PAGE = 50
STARTER = {"kind": "group", "match": "all", "rules": [builder.new_rule()]}


@bp.record_once
def _subscribe(state: BlueprintSetupState) -> None:
    signals.lead_captured.connect(subscribers.on_lead_captured, sender=state.app)
    signals.contact_changed.connect(subscribers.on_contact_changed, sender=state.app)
    signals.event_recorded.connect(subscribers.on_event_recorded, sender=state.app)


@bp.route("/segments")
@org_required
def index():
    return render_template(
        "segments/index.html",
        segments=manage.list_segments(db.session, g.org.id),
        attributes=manage.attributes(db.session, g.org.id),
        attribute_form=AttributeForm(),
    )


def _editor(form: SegmentForm, tree: dict, segment: Segment | None, errors=None, status=200):
    context = builder_context(db.session, g.org.id, tree, segment, errors or {})
    if hx.is_partial() and request.form.get("action"):
        return hx.trigger(
            hx.partial("segments/_builder.html", status=status, **context), "builder-changed"
        )
    return render_template("segments/edit.html", form=form, **context), status


def _save(segment: Segment | None):
    form = SegmentForm()
    tree = builder.tree_from_form(request.form)
    action = request.form.get("action")
    if action:  # add / remove a rule or group: re-show the builder, save nothing
        return _editor(form, builder.apply_action(tree, action), segment)
    if not form.validate_on_submit():
        return _editor(form, tree, segment, status=422)
    now = clock.now()
    try:
        if segment is None:
            segment = manage.create_segment(
                db.session, g.org.id, form.name.data, tree, actor_id=current_user.id, now=now
            )
        else:
            manage.update_segment(
                db.session, segment, form.name.data, tree, actor_id=current_user.id, now=now
            )
    except RulesInvalid as exc:
        db.session.rollback()
        if "Name" in exc.errors:
            form.name.errors = [exc.errors["Name"]]
        return _editor(form, tree, segment, exc.errors, status=422)
    db.session.commit()
    n = segment.member_count
    flash(f"Segment {segment.name} saved: {n:,} {'member' if n == 1 else 'members'}.", "success")
    return redirect(url_for("segments.show", segment_id=segment.id), code=303)


@bp.route("/segments/new", methods=["GET", "POST"])
@org_required
def new():
    if request.method == "POST":
        return _save(None)
    return _editor(SegmentForm(), STARTER, None)


@bp.route("/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@org_required
def edit(segment_id: int):
    segment = load(Segment, segment_id)
    if request.method == "POST":
        return _save(segment)
    return _editor(SegmentForm(name=segment.name), segment.rules, segment)


@bp.route("/segments/preview", methods=["POST"])
@org_required
def preview():
    """The live count and first members of the rules being edited (nothing is saved)."""
    tree = builder.tree_from_form(request.form)
    segment_id = request.form.get("segment_id", type=int)
    if segment_id is not None:
        load(Segment, segment_id)
    try:
        result = manage.preview(db.session, g.org.id, tree, clock.now(), segment_id)
    except RulesInvalid as exc:
        return hx.partial("segments/_preview.html", result=None, errors=exc.errors)
    return hx.partial("segments/_preview.html", result=result, errors={})


@bp.route("/segments/<int:segment_id>")
@org_required
def show(segment_id: int):
    segment = load(Segment, segment_id)
    form = PageForm(request.args)
    page = form.page.data if form.validate() and form.page.data else 1
    members, total = manage.members_page(db.session, segment, page, PER_PAGE)
    return hx.page_or_partial(
        "segments/show.html",
        "segments/_members.html",
        segment=segment,
        members=members,
        total=total,
        page_no=page,
        has_more=page * PER_PAGE < total,
    )


@bp.route("/segments/<int:segment_id>/export.csv")
@org_required
def export(segment_id: int):
    segment = load(Segment, segment_id)
    zone = ZoneInfo(g.org.timezone)
    rows = manage.iter_members(db.session, segment)
    name = f"segment-{segment.id}-{clock.now().astimezone(zone):%Y-%m-%d}.csv"
    return Response(
        stream_with_context(export_csv(rows, zone)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/segments/<int:segment_id>/delete", methods=["POST"])
@org_required
def delete(segment_id: int):
    segment = load(Segment, segment_id)
    try:
        manage.delete_segment(db.session, segment, actor_id=current_user.id, now=clock.now())
    except manage.SegmentInUse as exc:
        db.session.rollback()
        flash(f"Not deleted: {exc}", "error")
        return redirect(url_for("segments.show", segment_id=segment_id), code=303)
    db.session.commit()
    flash(f"Segment {segment.name} deleted.", "success")
    return redirect(url_for("segments.index"), code=303)


@bp.route("/segments/attributes", methods=["POST"])
@org_required
def declare_attribute():
    form = AttributeForm()
    if form.validate_on_submit():
        try:
            manage.declare_attribute(
                db.session,
                g.org.id,
                form.key.data,
                form.type.data,
                form.label.data,
                now=clock.now(),
            )
        except RulesInvalid as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name, form.key).errors = [message]
        else:
            db.session.commit()
            flash(f"Custom attribute {form.key.data} declared.", "success")
            return redirect(url_for("segments.index"), code=303)
    return render_template(
        "segments/index.html",
        segments=manage.list_segments(db.session, g.org.id),
        attributes=manage.attributes(db.session, g.org.id),
        attribute_form=form,
    ), 422


# --- a contact's tags (shown on the lead's page) ----------------------------------------


def _tags_partial(lead: Lead, error: str | None = None, status: int = 200):
    return hx.partial(
        "segments/_lead_tags.html",
        status=status,
        lead=lead,
        tags=tags_of(db.session, g.org.id, lead.id),
        form=TagForm(),
        error=error,
    )


@bp.route("/leads/<int:lead_id>/tags", methods=["GET", "POST"])
@org_required
def lead_tags(lead_id: int):
    lead = load(Lead, lead_id)
    if request.method == "GET":
        return _tags_partial(lead)
    form = TagForm()
    if not form.validate_on_submit():
        return _tags_partial(lead, " ".join(form.tag.errors) or "Type a tag.", 422)
    try:
        add_tag(db.session, g.org.id, lead.id, form.tag.data, now=clock.now())
    except ValueError as exc:
        db.session.rollback()
        return _tags_partial(lead, str(exc), 422)
    db.session.commit()
    return _back_to_lead(lead)


@bp.route("/leads/<int:lead_id>/tags/remove", methods=["POST"])
@org_required
def remove_lead_tag(lead_id: int):
    lead = load(Lead, lead_id)
    form = TagForm()
    if form.validate_on_submit():
        try:
            remove_tag(db.session, g.org.id, lead.id, form.tag.data, now=clock.now())
        except ValueError as exc:
            db.session.rollback()
            return _tags_partial(lead, str(exc), 422)
        db.session.commit()
    return _back_to_lead(lead)


def _back_to_lead(lead: Lead):
    if hx.is_partial():
        return _tags_partial(lead)
    return redirect(url_for("leads.show", lead_id=lead.id), code=303)
