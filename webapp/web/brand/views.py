"""Settings → Brand: colours, language, logo, contact details and the public address."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.marketing import (
    BrandInvalid,
    brand_of,
    contrast_warning,
    png_size,
    save_brand,
    suggest_public_slug,
)
from webapp.web.brand.forms import BrandForm
from webapp.web.context import org_required

bp = Blueprint("brand", __name__)
READ_LIMIT = 512 * 1024 + 1  # one byte more than allowed, so "too big" is still detected


@bp.route("/settings/brand", methods=["GET", "POST"])
@org_required
def settings():
    brand = brand_of(db.session, g.org.id)
    form = BrandForm(obj=brand)
    if request.method == "GET":
        form.public_slug.data = suggest_public_slug(db.session, g.org)
    elif g.membership.role != "owner":
        abort(403, "Only an owner can change the brand.")
    elif form.validate_on_submit():
        upload = request.files.get(
            form.logo.name
        )  # not form.logo.data: `obj` fills it with the stored bytes
        logo = upload.stream.read(READ_LIMIT) if upload and upload.filename else None
        try:
            save_brand(
                db.session,
                g.org,
                {name: getattr(form, name).data for name in _FIELDS},
                logo=logo,
                remove_logo=bool(form.remove_logo.data),
                actor_id=current_user.id,
                now=clock.now(),
            )
        except BrandInvalid as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name).errors = [message]
        else:
            db.session.commit()
            flash("Brand saved. Your pages use it from now on.", "success")
            return redirect(url_for("brand.settings"))
    primary = form.primary_color.data or (brand.primary_color if brand else "#1d4ed8")
    return render_template(
        "brand/settings.html",
        form=form,
        brand=brand,
        logo_size=png_size(brand.logo) if brand and brand.logo else None,
        warning=contrast_warning(primary) if _hex(primary) else None,
    ), (422 if form.errors else 200)


_FIELDS = (
    "primary_color",
    "accent_color",
    "language",
    "public_slug",
    "website",
    "phone",
    "postal_address",
)


def _hex(value: str) -> bool:
    return isinstance(value, str) and len(value) == 7 and value.startswith("#")


@bp.route("/settings/brand/logo.png")
@org_required
def logo():
    brand = brand_of(db.session, g.org.id)
    if brand is None or not brand.logo:
        abort(404)
    response = Response(brand.logo, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-cache"
    return response
