"""A contact's events: `/leads/<id>/events`, the list the lead page loads (htmx) or a page
of its own, newest first, a page at a time."""

from __future__ import annotations

from flask import Blueprint, g, request
from flask.blueprints import BlueprintSetupState

from webapp.core.extensions import db
from webapp.models import Lead
from webapp.services.events import connect_product_events, key_properties, lead_events
from webapp.web import htmx as hx
from webapp.web.context import load, org_required

bp = Blueprint("events", __name__)

MAX_PAGE = 100_000


@bp.record_once
def _subscribe(state: BlueprintSetupState) -> None:
    connect_product_events(state.app)


@bp.get("/leads/<int:lead_id>/events")
@org_required
def lead_events_list(lead_id: int):
    lead = load(Lead, lead_id)
    page = request.args.get("page", "1")
    # isdigit() alone takes "²", which int() refuses
    page_number = int(page) if page.isascii() and page.isdigit() else 1
    page_number = page_number if 0 < page_number <= MAX_PAGE else 1
    events = lead_events(db.session, g.org.id, lead.id, page_number)
    return hx.page_or_partial(
        "events/lead_events.html",
        "events/_lead_events.html",
        lead=lead,
        events=events,
        key_properties=key_properties,
    )
