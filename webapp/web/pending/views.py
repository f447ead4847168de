"""Sections whose features have not landed yet: an honest page saying what is coming."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.web.context import org_required

bp = Blueprint("pending", __name__)

SECTIONS = {
    "leads": ("Leads", "The lead inbox arrives with the autopilot feature: leads from your website form, CSV imports and the API, scored and de-duplicated."),
    "campaigns": ("Campaigns", "Campaigns arrive with the autopilot feature: one auto-managed campaign per channel, with budgets the autopilot adjusts and explains."),
    "automation": ("Automation", "Automation arrives with the sequences feature: email, SMS and WhatsApp messages sent to new contacts inside your allowed hours."),
}


def _section(key: str):  # noqa: ANN202
    title, text = SECTIONS[key]
    return render_template("pending/section.html", title=title, text=text)


@bp.route("/leads")
@org_required
def leads():  # noqa: ANN201
    return _section("leads")


@bp.route("/campaigns")
@org_required
def campaigns():  # noqa: ANN201
    return _section("campaigns")


@bp.route("/automation")
@org_required
def automation():  # noqa: ANN201
    return _section("automation")
