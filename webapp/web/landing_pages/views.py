"""Landing pages, signed in: the list, a new page, the editor, preview, publish and
unpublish, new copy."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import LandingPage, MarketingCampaign
from webapp.services.landing_pages import (
    PageInvalid,
    campaign_choices,
    count_pages,
    create_page,
    last_days,
    pages_of,
    redraft,
    set_published,
    totals,
    update_page,
)
from webapp.services.marketing import suggest_public_slug
from webapp.web.context import load, org_required
from webapp.web.forms import ConfirmForm
from webapp.web.landing_pages.forms import NewPageForm, PageForm, fill_form, sections_from
from webapp.web.landing_pages.render import render_page
from webapp.web.query import page_arg

bp = Blueprint("landing_pages", __name__)
PER_PAGE = 20


def _new_form() -> NewPageForm:
    form = NewPageForm()
    form.marketing_campaign_id.choices = [("", "No campaign (a page for the business)")] + [
        (str(cid), name) for cid, name in campaign_choices(db.session, g.org.id)
    ]
    return form


@bp.route("/landing-pages")
@org_required
def index():
    page_no = page_arg()
    pages = pages_of(db.session, g.org.id, offset=(page_no - 1) * PER_PAGE, limit=PER_PAGE + 1)
    has_more = len(pages) > PER_PAGE
    pages = pages[:PER_PAGE]
    return render_template(
        "landing_pages/index.html",
        pages=pages,
        figures=totals(db.session, [p.id for p in pages]),
        total=count_pages(db.session, g.org.id),
        form=_new_form(),
        page_no=page_no,
        has_more=has_more,
        workspace_slug=suggest_public_slug(db.session, g.org),
    )


@bp.route("/landing-pages", methods=["POST"])
@org_required
def create():
    form = _new_form()
    if not form.validate_on_submit():
        flash("Your form expired; please try again.", "error")
        return redirect(url_for(".index"))
    raw = form.marketing_campaign_id.data or ""
    campaign = load(MarketingCampaign, int(raw)) if raw.isascii() and raw.isdigit() else None
    page = create_page(
        db.session, g.org, campaign=campaign, actor_id=current_user.id, now=clock.now()
    )
    db.session.commit()
    flash(
        "Your page is drafted. Read it through, change what you like, then publish it.", "success"
    )
    return redirect(url_for(".edit", landing_page_id=page.id))


def _editor(page: LandingPage, form: PageForm, status: int = 200):
    views, submissions = totals(db.session, [page.id])[page.id]
    slug = suggest_public_slug(db.session, g.org)
    campaign = (
        db.session.get(MarketingCampaign, page.marketing_campaign_id)
        if page.marketing_campaign_id
        else None
    )
    return render_template(
        "landing_pages/edit.html",
        page=page,
        form=form,
        confirm=ConfirmForm(),
        campaign=campaign,
        views=views,
        submissions=submissions,
        rate=(submissions / views) if views else None,
        days=last_days(db.session, page.id, today=clock.now().date()),
        public_url=f"{request.host_url}p/{slug}/{page.slug}",
    ), status


@bp.route("/landing-pages/<int:landing_page_id>", methods=["GET", "POST"])
@org_required
def edit(landing_page_id: int):
    page = load(LandingPage, landing_page_id)
    form = PageForm()
    if request.method == "GET":
        fill_form(form, page.title, page.slug, page.sections)
        return _editor(page, form)
    if form.validate_on_submit():
        try:
            update_page(
                db.session,
                page,
                title=form.title.data,
                slug=form.slug.data,
                sections=sections_from(form),
                actor_id=current_user.id,
                now=clock.now(),
            )
        except PageInvalid as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors = [message]
        else:
            db.session.commit()
            flash("Page saved.", "success")
            return redirect(url_for(".edit", landing_page_id=page.id))
    return _editor(page, form, 422)


@bp.route("/landing-pages/<int:landing_page_id>/preview")
@org_required
def preview(landing_page_id: int):
    page = load(LandingPage, landing_page_id)
    return render_page(g.org, page, preview=True)


def _confirmed() -> bool:
    if ConfirmForm().validate_on_submit():
        return True
    flash("Your form expired; please try again.", "error")
    return False


@bp.route("/landing-pages/<int:landing_page_id>/publish", methods=["POST"])
@org_required
def publish(landing_page_id: int):
    page = load(LandingPage, landing_page_id)
    if _confirmed():
        path = set_published(
            db.session, g.org, page, True, actor_id=current_user.id, now=clock.now()
        )
        db.session.commit()
        flash(f"Published. Your page is live at {request.host_url.rstrip('/')}{path}", "success")
    return redirect(url_for(".edit", landing_page_id=page.id))


@bp.route("/landing-pages/<int:landing_page_id>/unpublish", methods=["POST"])
@org_required
def unpublish(landing_page_id: int):
    page = load(LandingPage, landing_page_id)
    if _confirmed():
        set_published(db.session, g.org, page, False, actor_id=current_user.id, now=clock.now())
        db.session.commit()
        flash(
            "Unpublished. The address now answers “not found” until you publish again.", "success"
        )
    return redirect(url_for(".edit", landing_page_id=page.id))


@bp.route("/landing-pages/<int:landing_page_id>/redraft", methods=["POST"])
@org_required
def regenerate(landing_page_id: int):
    page = load(LandingPage, landing_page_id)
    if _confirmed():
        redraft(db.session, g.org, page, actor_id=current_user.id, now=clock.now())
        db.session.commit()
        flash("New copy written. Your testimonials were kept.", "success")
    return redirect(url_for(".edit", landing_page_id=page.id))
