"""Marketing campaign pages: the list (filters, pages), new and edit, and a campaign's page
with its status buttons, its paid-media lines (the autopilot's budget campaigns) and its
prediction. The "Campaigns" menu leads here; the autopilot's budget lines are its
"Paid media" tab (webapp/web/autopilot/campaigns.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import MarketingCampaign
from webapp.models.marketing import CAMPAIGN_STATUSES, CAMPAIGN_TYPES
from webapp.services import marketing
from webapp.services.autopilot import channel_label
from webapp.services.landing_pages import page_figures
from webapp.services.prediction import predict_campaign
from webapp.web.context import load, org_required
from webapp.web.forms import ConfirmForm
from webapp.web.marketing.forms import CampaignForm, LinkForm, StatusForm
from webapp.web.query import page_arg

bp = Blueprint("marketing", __name__)


def _filter(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name) or None
    return value if value in allowed else None


@bp.route("/marketing/campaigns")
@org_required
def index():
    status = _filter("status", (*CAMPAIGN_STATUSES, "all"))
    kind = _filter("type", CAMPAIGN_TYPES)
    result = marketing.list_campaigns(
        db.session, g.org.id, status=status, type=kind, page=page_arg()
    )
    return render_template(
        "marketing/index.html",
        result=result,
        status=status or "",
        kind=kind or "",
        counts=marketing.status_counts(db.session, g.org.id),
        type_label=marketing.type_label,
        types=marketing.TYPE_LABELS,
        statuses=CAMPAIGN_STATUSES,
    )


def _save(campaign: MarketingCampaign | None):
    form = CampaignForm()
    if campaign is not None and request.method == "GET":
        form.process(
            data={
                "name": campaign.name,
                "type": campaign.type,
                "objective": campaign.objective,
                "offer": (campaign.settings or {}).get("offer", ""),
                "starts_on": campaign.starts_on,
                "ends_on": campaign.ends_on,
                "budget": campaign.budget,
                "channels": list(campaign.channels or []),
            }
        )
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("marketing/edit.html", form=form, campaign=campaign), status
    now = clock.now()
    try:
        if campaign is None:
            campaign = marketing.create_campaign(
                db.session, g.org, form.fields(), actor_id=current_user.id, now=now
            )
        else:
            marketing.update_campaign(
                db.session, g.org, campaign, form.fields(), actor_id=current_user.id, now=now
            )
    except marketing.CampaignError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None) or form.name
        target.errors = [*target.errors, str(exc)]
        return render_template("marketing/edit.html", form=form, campaign=campaign), 422
    db.session.commit()
    flash(f"Campaign “{campaign.name}” saved.", "success")
    return redirect(url_for("marketing.show", marketing_campaign_id=campaign.id), code=303)


@bp.route("/marketing/campaigns/new", methods=["GET", "POST"])
@org_required
def new():
    return _save(None)


@bp.route("/marketing/campaigns/<int:marketing_campaign_id>/edit", methods=["GET", "POST"])
@org_required
def edit(marketing_campaign_id: int):
    campaign = load(MarketingCampaign, marketing_campaign_id)
    if campaign.status in ("completed", "archived"):
        flash(f"The campaign is {campaign.status}; a finished campaign is not edited.", "error")
        return redirect(url_for("marketing.show", marketing_campaign_id=campaign.id), code=303)
    return _save(campaign)


def _page(campaign: MarketingCampaign, *, link_form: LinkForm | None = None, status=200):
    now = clock.now()
    form = link_form or LinkForm()
    form.campaign_id.choices = [
        (c.id, c.name) for c in marketing.linkable_lines(db.session, g.org.id)
    ]
    today = marketing.local_today(g.org, now)
    return render_template(
        "marketing/show.html",
        campaign=campaign,
        type_label=marketing.type_label,
        channel_label=channel_label,
        next_statuses=marketing.allowed_next(campaign.status),
        button_label=marketing.button_label,
        paid=marketing.paid_media_of(db.session, g.org, campaign, now=now),
        prediction=predict_campaign(db.session, campaign, today=today),
        landing=page_figures(db.session, g.org.id, campaign.id),
        link_form=form,
        status_form=StatusForm(),
        today=today,
    ), status


@bp.route("/marketing/campaigns/<int:marketing_campaign_id>")
@org_required
def show(marketing_campaign_id: int):
    return _page(load(MarketingCampaign, marketing_campaign_id))


@bp.route("/marketing/campaigns/<int:marketing_campaign_id>/status", methods=["POST"])
@org_required
def change_status(marketing_campaign_id: int):
    campaign = load(MarketingCampaign, marketing_campaign_id)
    form = StatusForm()
    back = url_for("marketing.show", marketing_campaign_id=campaign.id)
    if not form.validate_on_submit():
        flash("Choose what to do with the campaign.", "error")
        return redirect(back, code=303)
    try:
        marketing.change_status(
            db.session, g.org, campaign, form.status.data, actor_id=current_user.id, now=clock.now()
        )
    except marketing.CampaignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back, code=303)
    db.session.commit()
    flash(f"Campaign “{campaign.name}” is now {campaign.status}.", "success")
    return redirect(back, code=303)


@bp.route("/marketing/campaigns/<int:marketing_campaign_id>/paid-media", methods=["POST"])
@org_required
def link(marketing_campaign_id: int):
    campaign = load(MarketingCampaign, marketing_campaign_id)
    form = LinkForm()
    form.campaign_id.choices = [
        (c.id, c.name) for c in marketing.linkable_lines(db.session, g.org.id)
    ]
    if not form.validate_on_submit():
        return _page(campaign, link_form=form, status=422)
    try:
        line = marketing.link_line(
            db.session,
            g.org,
            campaign,
            form.campaign_id.data,
            actor_id=current_user.id,
            now=clock.now(),
        )
    except marketing.CampaignError as exc:
        db.session.rollback()
        form.campaign_id.errors = [*form.campaign_id.errors, str(exc)]
        return _page(campaign, link_form=form, status=422)
    db.session.commit()
    flash(f"“{line.name}” is now part of this campaign's paid media.", "success")
    return redirect(url_for("marketing.show", marketing_campaign_id=campaign.id), code=303)


@bp.route(
    "/marketing/campaigns/<int:marketing_campaign_id>/paid-media/<int:campaign_id>/unlink",
    methods=["POST"],
)
@org_required
def unlink(marketing_campaign_id: int, campaign_id: int):
    campaign = load(MarketingCampaign, marketing_campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    line = marketing.unlink_line(
        db.session, g.org, campaign, campaign_id, actor_id=current_user.id, now=clock.now()
    )
    if line is None:
        abort(404)
    db.session.commit()
    flash(f"“{line.name}” is no longer part of this campaign (its budget is unchanged).", "success")
    return redirect(url_for("marketing.show", marketing_campaign_id=campaign.id), code=303)
