"""The email providers' bounce and complaint webhooks: POST /webhooks/email/<provider>/<org>.

No session and no CSRF token (the provider is the caller); the signature (or Postmark's
basic auth) with the workspace's secret is checked before anything is read: 401 otherwise.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import abort, current_app, jsonify, request

from webapp.core import clock
from webapp.core.db import begin_write
from webapp.core.extensions import csrf, db
from webapp.services.accounts import hit
from webapp.services.suppression import WEBHOOK_PROVIDERS, WebhookRefused, handle_provider_webhook
from webapp.web.suppression.views import bp

log = logging.getLogger(__name__)
PER_MINUTE = 600  # per workspace and provider: a bounce storm fits, a flood does not


@bp.route("/webhooks/email/<provider>/<int:org_id>", methods=["POST"])
@csrf.exempt
def provider_webhook(provider: str, org_id: int):
    if provider not in WEBHOOK_PROVIDERS:
        abort(404)
    wait = hit(db.session, f"email-hook:{provider}:{org_id}", limit=PER_MINUTE,
                      window=timedelta(minutes=1), now=clock.now())  # fmt: skip
    if wait is not None:
        return jsonify(error="Too many requests."), 429
    db.session.commit()
    begin_write(db.session)
    try:
        outcome = handle_provider_webhook(
            db.session,
            org_id,
            provider,
            raw_body=request.get_data(cache=True),
            headers=request.headers,
            config=current_app.config,
            now=clock.now(),
        )
    except WebhookRefused as exc:
        db.session.rollback()
        log.warning("email webhook refused (%s, workspace %s): %s", provider, org_id, exc)
        return jsonify(error="Signature required."), 401
    db.session.commit()
    return jsonify(outcome), 200
