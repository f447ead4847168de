"""The SMS size box under a message editor (sequence steps, broadcasts): segments, encoding
and cost for the text as typed, refreshed by htmx while the owner writes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import current_app, g, request

from webapp.services.messaging import estimate_sms
from webapp.web import htmx as hx
from webapp.web.context import org_required
from webapp.web.messaging.sequences import bp

MAX_BODY = 5000  # the editors' own limit; longer input is measured up to it


def _price() -> Decimal:
    try:
        return Decimal(str(current_app.config.get("SMS_SEGMENT_PRICE", "0.0083")))
    except InvalidOperation:
        return Decimal("0.0083")


@bp.route("/automation/sms-size", methods=["POST"])
@org_required
def sms_size():
    if request.form.get("channel") != "sms":
        return hx.partial("automation/_sms_size.html", estimate=None)
    body = (request.form.get("body") or "")[:MAX_BODY].replace("\x00", "")
    estimate = estimate_sms(body, g.org.name, _price()) if body.strip() else None
    return hx.partial("automation/_sms_size.html", estimate=estimate)
