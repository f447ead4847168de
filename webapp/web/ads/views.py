"""A channel campaign's ad platform: link it to one of the account's campaigns, or create a
paused one, and unlink it. The platform is called with no transaction of ours open."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.core import clock
from webapp.core.db import begin_write
from webapp.core.extensions import db
from webapp.models import Campaign
from webapp.services import ads
from webapp.web.ads.forms import ChooseForm, CreateForm
from webapp.web.context import load, owner_required
from webapp.web.forms import ConfirmForm

bp = Blueprint("ads", __name__, url_prefix="/campaigns/<int:campaign_id>/ads")
PAGE_SIZE = 25


def _campaign(campaign_id: int) -> Campaign:
    campaign = load(Campaign, campaign_id)
    if ads.panel(db.session, g.org, campaign) is None:
        abort(404)
    return campaign


def _platform(campaign: Campaign):
    """(campaign id, its platform, the account's campaigns or None, the failure or None)."""
    cid, org_id, provider = campaign.id, g.org.id, campaign.channel
    db.session.rollback()  # nothing of ours stays open across the platform call
    try:
        return (
            cid,
            provider,
            ads.platform_campaigns(db.engine, org_id, provider, clock=clock.now),
            None,
        )
    except ads.AdsError as exc:
        return cid, provider, None, exc


def _page(campaign: Campaign, found, failure, choose=None, create=None, status=200):
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    found = found or []
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    choose = choose or ChooseForm(formdata=None)
    choose.platform_campaign.choices = [(c.id, c.name) for c in shown]
    if create is None:
        create = CreateForm(formdata=None)
        create.name.data = campaign.name
        create.daily_budget.data = ads.suggested_daily(db.session, campaign, now=clock.now())
    body = render_template(
        "ads/link.html",
        campaign=campaign,
        panel=ads.panel(db.session, g.org, campaign),
        found=shown,
        total=len(found),
        page=page,
        pages=max((len(found) + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        failure=failure,
        choose=choose,
        create=create,
        suggested=ads.suggested_daily(db.session, campaign, now=clock.now()),
    )
    return body, status


@bp.route("/link")
@owner_required
def link_page(campaign_id: int):
    campaign = _campaign(campaign_id)
    cid, _provider, found, failure = _platform(campaign)
    return _page(load(Campaign, cid), found, failure)


@bp.route("/link", methods=["POST"])
@owner_required
def link(campaign_id: int):
    campaign = _campaign(campaign_id)
    cid, _provider, found, failure = _platform(campaign)
    campaign = load(Campaign, cid)
    form = ChooseForm()
    form.platform_campaign.choices = [(c.id, c.name) for c in found or []]
    if failure is not None or not form.validate():
        return _page(campaign, found, failure, choose=form, status=422)
    chosen = next(c for c in found if c.id == form.platform_campaign.data)
    return _linked(campaign, chosen, created=False)


@bp.route("/create", methods=["POST"])
@owner_required
def create(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = CreateForm()
    if not form.validate():
        cid, _provider, found, failure = _platform(campaign)
        return _page(load(Campaign, cid), found, failure, create=form, status=422)
    cid, org_id, provider = campaign.id, g.org.id, campaign.channel
    name, daily = form.name.data.strip(), form.daily_budget.data
    db.session.rollback()  # nothing of ours stays open across the platform call
    try:
        created = ads.create_platform_campaign(
            db.engine, org_id, provider, name, daily, clock=clock.now
        )
    except ads.AdsError as exc:
        cid, _provider, found, failure = _platform(load(Campaign, cid))
        return _page(load(Campaign, cid), found, failure or exc, create=form, status=422)
    return _linked(load(Campaign, cid), created, created=True)


def _linked(campaign: Campaign, platform, *, created: bool):
    begin_write(db.session)
    try:
        ads.link_campaign(
            db.session, g.org, campaign, platform, created=created,
            actor_id=current_user.id, now=clock.now(),
        )  # fmt: skip
    except ads.AdsError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("ads.link_page", campaign_id=campaign.id))
    db.session.commit()
    flash(
        f"Linked to “{platform.name}”. Results are read every morning and the daily budget "
        "follows the autopilot's plan (set within a few minutes).",
        "success",
    )
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.route("/unlink", methods=["POST"])
@owner_required
def unlink(campaign_id: int):
    campaign = _campaign(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ads.unlink_campaign(db.session, g.org, campaign, actor_id=current_user.id, now=clock.now())
    db.session.commit()
    flash("Unlinked. Upload this campaign's results by CSV again.", "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))
