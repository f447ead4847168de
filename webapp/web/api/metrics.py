"""`POST /api/v1/metrics`: daily campaign results pushed by a script or an ad-platform connector.

Body: a list of rows, or {"rows": [...]}; each row has `date` (YYYY-MM-DD), `campaign`
(name) or `campaign_id`, and any of impressions, clicks, spend, leads, conversions,
revenue (non-negative). All rows are saved, or none: any bad row answers 422 with every
row's errors. Rows of the same campaign and day are added up and replace that day.
"""

from __future__ import annotations

from flask import g, jsonify, request

from webapp import clock
from webapp.extensions import db
from webapp.services import metrics
from webapp.web.api.auth import api_error, api_key_required
from webapp.web.api.views import bp

MAX_API_ROWS = 5_000


@bp.post("/metrics")
@api_key_required
def post_metrics():  # noqa: ANN201
    body = request.get_json(silent=True)
    items = body.get("rows") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return api_error(400, "invalid_json", "Send a JSON list of rows, or an object with a `rows` list.")
    if not items:
        return api_error(422, "no_rows", "Send at least one row.")
    if len(items) > MAX_API_ROWS:
        return api_error(413, "too_many_rows", f"Send at most {MAX_API_ROWS} rows per request.")
    report, _rows = metrics.import_api_rows(db.session, g.api_org_id, items, now=clock.now())
    if report.errors:
        db.session.commit()  # nothing was saved; keep the key's last-used stamp
        return api_error(
            422, "invalid_rows", f"{len({e.line for e in report.errors})} of {len(items)} rows are invalid; nothing was saved.",
            errors=[e.as_json() for e in report.errors],
        )
    db.session.commit()
    return jsonify({"saved": report.rows_ok, "days_created": report.days_created, "days_updated": report.days_updated})
