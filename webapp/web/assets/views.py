"""Asset pages: the list (/assets, filtered by campaign, type and status), new asset, an
asset's page with its variations, edit form, approve, regenerate, files and the progress
partial polled while it is written; a campaign's assets partial and its "generate"."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import ASSET_TYPES, Asset, MarketingCampaign
from webapp.services import assets
from webapp.services.marketing import brief_for
from webapp.web import htmx as hx
from webapp.web.after_response import run_after_response
from webapp.web.assets.forms import NewAssetForm, content_of, edit_form_class, form_data
from webapp.web.context import load, org_required
from webapp.web.query import id_arg, page_arg

bp = Blueprint("assets", __name__)
RUN_SECONDS = 60
STALLED_AFTER = timedelta(seconds=3)  # a watched generation not started by then is started
STATUSES = ("draft", "approved")


def write_soon(asset_ids: list[int], *, due_before: datetime | None = None) -> None:
    """Write the queued assets right after the response; the `assets` job is the net."""
    job_ids = assets.pending_job_ids(db.session, asset_ids, due_before=due_before)

    def work(app: Flask) -> None:
        with app.app_context():
            assets.run_asset_jobs(
                db.engine,
                owner=f"web:{os.getpid()}",
                clock=clock.now,
                job_ids=job_ids,
                deadline=time.monotonic() + RUN_SECONDS,
            )

    if job_ids:
        run_after_response("asset generation", work)


def _campaigns() -> list[MarketingCampaign]:
    return list(
        db.session.scalars(
            select(MarketingCampaign)
            .where(MarketingCampaign.org_id == g.org.id)
            .order_by(MarketingCampaign.created_at.desc())
            .limit(200)
        )
    )


@bp.route("/assets")
@org_required
def index():
    kind = request.args.get("type") if request.args.get("type") in ASSET_TYPES else None
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    campaign_id = id_arg("campaign")
    page = page_arg()
    rows, total = assets.list_assets(
        db.session, g.org.id, assets.AssetFilter(campaign_id, kind, status), page
    )
    campaigns = _campaigns()
    form = NewAssetForm(campaign_id=campaign_id or 0)
    form.campaign_id.choices = [(0, "No campaign"), *((c.id, c.name) for c in campaigns)]
    return render_template(
        "assets/index.html",
        rows=rows,
        total=total,
        page=page,
        has_more=page * assets.PAGE_SIZE < total,
        campaigns=campaigns,
        names={c.id: c.name for c in campaigns},
        form=form,
        filters={"type": kind, "status": status, "campaign": campaign_id},
        pager_args={
            k: v for k, v in (("type", kind), ("status", status), ("campaign", campaign_id)) if v
        },
    )


@bp.route("/assets/new", methods=["POST"])
@org_required
def create():
    form = NewAssetForm()
    form.campaign_id.choices = [(0, "No campaign"), *((c.id, c.name) for c in _campaigns())]
    if not form.validate_on_submit():
        flash("Choose a type and a campaign from the lists.", "error")
        return redirect(url_for("assets.index"), code=303)
    name, _, value = (form.option.data or "").partition(":")
    campaign = load(MarketingCampaign, form.campaign_id.data) if form.campaign_id.data else None
    try:
        asset = assets.create_asset(
            db.session,
            g.org.id,
            form.type.data,
            {name: value} if name else {},
            campaign=campaign,
            actor_id=current_user.id,
            now=clock.now(),
            name=form.name.data or "",
        )
    except assets.AssetError as exc:
        db.session.rollback()
        flash(f"{exc} ({exc.field})" if exc.field else str(exc), "error")
        return redirect(url_for("assets.index"), code=303)
    asset_id = asset.id
    db.session.commit()
    write_soon([asset_id])
    return redirect(url_for("assets.show", asset_id=asset_id), code=303)


@bp.route("/campaigns/<int:campaign_id>/assets/generate", methods=["POST"])
@org_required
def generate_for_campaign(campaign_id: int):
    campaign = load(MarketingCampaign, campaign_id)
    made = assets.generate_for_campaign(
        db.session, g.org.id, campaign, actor_id=current_user.id, now=clock.now()
    )
    ids = [a.id for a in made]
    db.session.commit()
    write_soon(ids)
    flash(
        f"{len(ids)} assets are being written."
        if ids
        else "This campaign has its assets already; add more on the Assets page.",
        "success",
    )
    return redirect(
        request.form.get("next") or url_for("assets.index", campaign=campaign_id), code=303
    )


def _page(asset: Asset, form=None, problems=None, status: int = 200):
    content = assets.current(asset)
    if form is None and content:
        form = edit_form_class(asset.type, asset.options or {})(data=form_data(asset.type, content))
    campaign = (
        db.session.get(MarketingCampaign, asset.marketing_campaign_id)
        if asset.marketing_campaign_id
        else None
    )
    return render_template(
        "assets/show.html",
        asset=asset,
        content=content,
        form=form,
        campaign=campaign,
        variations=assets.variations(asset),
        problems=(assets.problems_of(asset.type, content) if content else [])
        if problems is None
        else problems,
        generations=assets.generations_of(db.session, asset),
        text=assets.text_of(asset.type, content) if content else "",
    ), status


@bp.route("/assets/<int:asset_id>")
@org_required
def show(asset_id: int):
    return _page(load(Asset, asset_id))


@bp.route("/assets/<int:asset_id>/progress")
@org_required
def progress(asset_id: int):
    asset = load(Asset, asset_id)
    if asset.state == "done" and request.args.get("was") in ("queued", "running"):
        return hx.redirect_to(url_for("assets.show", asset_id=asset.id))
    if asset.state == "queued":  # the run after the create request failed or never began
        write_soon([asset.id], due_before=clock.now() - STALLED_AFTER)
    return hx.partial("assets/_progress.html", asset=asset)


def _act(asset_id: int, action, message: str):
    asset = load(Asset, asset_id)
    try:
        action(asset)
    except assets.AssetError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("assets.show", asset_id=asset_id), code=303)
    db.session.commit()
    write_soon([asset_id])
    flash(message, "success")
    return redirect(url_for("assets.show", asset_id=asset_id), code=303)


@bp.route("/assets/<int:asset_id>/choose", methods=["POST"])
@org_required
def choose(asset_id: int):
    index = (
        id_arg("variation")
        if request.form.get("variation") is None
        else _int(request.form.get("variation"))
    )
    return _act(
        asset_id,
        lambda a: assets.choose(
            db.session,
            a,
            index if index is not None else -1,
            actor_id=current_user.id,
            now=clock.now(),
        ),
        "Variation chosen.",
    )


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 3 else None


@bp.route("/assets/<int:asset_id>/approve", methods=["POST"])
@org_required
def approve(asset_id: int):
    return _act(
        asset_id,
        lambda a: assets.approve(db.session, a, actor_id=current_user.id, now=clock.now()),
        "Approved: this asset is now used by its campaign.",
    )


@bp.route("/assets/<int:asset_id>/unapprove", methods=["POST"])
@org_required
def unapprove(asset_id: int):
    return _act(
        asset_id,
        lambda a: assets.unapprove(db.session, a, actor_id=current_user.id, now=clock.now()),
        "Back to draft: it is not used until you approve it again.",
    )


@bp.route("/assets/<int:asset_id>/regenerate", methods=["POST"])
@org_required
def regenerate(asset_id: int):
    return _act(
        asset_id,
        lambda a: assets.regenerate(db.session, a, actor_id=current_user.id, now=clock.now()),
        "Three new variations are being written.",
    )


@bp.route("/assets/<int:asset_id>/sequence", methods=["POST"])
@org_required
def to_sequence(asset_id: int):
    asset = load(Asset, asset_id)
    try:
        sequence = assets.to_sequence(db.session, asset, actor_id=current_user.id, now=clock.now())
    except assets.AssetError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("assets.show", asset_id=asset_id), code=303)
    sequence_id = sequence.id
    db.session.commit()
    flash("The emails are a draft sequence now: check the steps, then activate it.", "success")
    return redirect(url_for("automation.edit", campaign_id=sequence_id), code=303)


@bp.route("/assets/<int:asset_id>/edit", methods=["POST"])
@org_required
def edit(asset_id: int):
    asset = load(Asset, asset_id)
    previous = assets.current(asset)
    if not previous:
        abort(409, "This asset has no variation to edit yet.")
    form = edit_form_class(asset.type, asset.options or {})()
    if not form.validate_on_submit():
        return _page(asset, form=form, status=422)
    try:
        problems = assets.edit(
            db.session,
            asset,
            content_of(asset.type, form, previous),
            actor_id=current_user.id,
            now=clock.now(),
        )
    except assets.AssetError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("assets.show", asset_id=asset_id), code=303)
    db.session.commit()
    write_soon([asset_id])
    flash(
        "Saved, but it breaks a limit: " + "; ".join(problems)
        if problems
        else "Saved. Approve it when you are happy with it.",
        "error" if problems else "success",
    )
    return redirect(url_for("assets.show", asset_id=asset_id), code=303)


@bp.route("/assets/<int:asset_id>/file")
@org_required
def file(asset_id: int):
    asset = load(Asset, asset_id)
    if not asset.file:
        abort(404)
    extension = "wav" if asset.file_mime == "audio/wav" else "png"
    response = Response(asset.file, mimetype=asset.file_mime)
    if request.args.get("download"):
        response.headers["Content-Disposition"] = (
            f'attachment; filename="asset-{asset.id}.{extension}"'
        )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/assets/<int:asset_id>/text")
@org_required
def text(asset_id: int):
    asset = load(Asset, asset_id)
    body = assets.text_of(asset.type, assets.current(asset)) if assets.current(asset) else ""
    return Response(
        body,
        mimetype="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="asset-{asset.id}.txt"'},
    )


@bp.route("/assets/<int:asset_id>/emails/<name>")
@org_required
def email(asset_id: int, name: str):
    """One email of a sequence asset: `<n>.html` (inlined HTML) or `<n>.txt` (plain text)."""
    number, _, kind = name.partition(".")
    if not (number.isascii() and number.isdigit() and len(number) < 3) or kind not in (
        "html",
        "txt",
    ):
        abort(404)
    number = int(number)
    asset = load(Asset, asset_id)
    emails = assets.current(asset).get("emails") or [] if asset.type == "email_sequence" else []
    if not 1 <= number <= len(emails):
        abort(404)
    brief = brief_for(db.session, g.org)
    message = emails[number - 1]
    if kind == "txt":
        return Response(
            assets.render_text(message, footer=g.org.name), mimetype="text/plain; charset=utf-8"
        )
    html = assets.render_html(
        {**message, "body": assets.preview_text(message["body"])}
        if request.args.get("preview")
        else message,
        brief,
    )
    response = Response(html, mimetype="text/html")
    if not request.args.get("preview"):
        response.headers["Content-Disposition"] = f'attachment; filename="email-{number}.html"'
    return response


@bp.app_template_global("campaign_assets")
def campaign_assets(campaign_id: int) -> list[Asset]:
    """A campaign's assets, for the partial on the campaign's page (the current workspace's)."""
    rows, _total = assets.list_assets(
        db.session, g.org.id, assets.AssetFilter(campaign_id=campaign_id), 1
    )
    return rows
