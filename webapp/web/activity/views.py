"""The activity feed: every action of the workspace, newest first, filterable, load-more."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from webapp.core.clock import day_end, day_start
from webapp.core.extensions import db
from webapp.services.activity import kind_label
from webapp.services.activity import log as activity_service
from webapp.web import htmx as hx
from webapp.web.context import all_workspaces, org_required, visible_org_ids
from webapp.web.filters import viewer_zone
from webapp.web.query import id_arg

bp = Blueprint("activity", __name__)


class ActivityFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    org = SelectField("Workspace", choices=[], validate_choice=False, default="")
    type = SelectField("Type", choices=[], validate_choice=False, default="")
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
    entity_type = SelectField("About", choices=[], validate_choice=False, default="")
    entity_id = StringField("Record number", validators=[Optional(), Length(max=64)])
    automated = BooleanField("Automated only")

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("“To” must be on or after “From”.")


@bp.route("/activity")
@org_required
def index():
    form = ActivityFilterForm(request.args)
    scope = visible_org_ids()
    if current_user.is_support:
        form.org.choices = [("", "All workspaces")] + [
            (str(o.id), o.name) for o in all_workspaces()
        ]
        chosen = id_arg("org")
        if chosen is not None:
            scope = [chosen]
    form.type.choices = [("", "Any type")] + [
        (t, kind_label(t)) for t in activity_service.activity_types(db.session, scope)
    ]
    form.entity_type.choices = [("", "Anything")] + [
        (t, t.replace("_", " ").capitalize())
        for t in activity_service.entity_types(db.session, scope)
    ]

    rows, cursor = [], None
    if form.validate():
        tz = ZoneInfo(viewer_zone())  # the days of the viewer's zone, as the times shown
        flt = activity_service.ActivityFilter(
            org_ids=scope,
            type=form.type.data or None,
            since=day_start(form.since.data, tz) if form.since.data else None,
            until=day_end(form.until.data, tz) if form.until.data else None,
            entity_type=form.entity_type.data or None,
            entity_id=(form.entity_id.data or "").strip() or None,
            automated_only=form.automated.data,
        )
        before = id_arg("before")
        rows, cursor = activity_service.list_activity(db.session, flt, before_id=before)
        if before is not None and hx.is_partial():
            return hx.partial(
                "activity/_rows.html",
                rows=rows,
                entries=activity_service.collapse_repeats(rows),
                cursor=cursor,
                query=_query_without_before(),
                show_org=current_user.is_support,
            )
    return hx.page_or_partial(
        "activity/index.html",
        "activity/_feed.html",
        form=form,
        rows=rows,
        entries=activity_service.collapse_repeats(rows),
        cursor=cursor,
        query=_query_without_before(),
        show_org=current_user.is_support,
    )


def _query_without_before() -> dict:
    return {k: v for k, v in request.args.items() if k != "before" and v}
