"""`POST /api/v1/metrics`: daily campaign results pushed by a script or an ad-platform connector.

Body: a list of rows, or {"rows": [...]}; each row has `date` (YYYY-MM-DD), `campaign`
(name) or `campaign_id`, and any of impressions, clicks, spend, leads, conversions,
revenue (non-negative). All rows are saved, or none: any bad row answers 422 with every
row's errors. Rows of the same campaign and day are added up and replace that day.
"""

from __future__ import annotations

from flask import Response, g, jsonify

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.reporting import ad_results as metrics
from webapp.web.api.auth import api_error, api_key_required
from webapp.web.api.schemas import MAX_METRIC_ROWS, ErrorBody, MetricsSaved, MetricsUpload
from webapp.web.api.spec import Answer, operation
from webapp.web.api.validation import Invalid, NotJson, read_body
from webapp.web.api.views import bp


@bp.post("/metrics")
@operation(
    "Push daily campaign results (all rows saved, or none)",
    operation_id="postMetrics",
    body=MetricsUpload,
    answers={
        200: (MetricsSaved, "Saved."),
        413: Answer(ErrorBody, "Too many rows."),
    },
    errors=(400, 422),
)
@api_key_required
def post_metrics() -> Response | tuple[Response, int]:
    try:
        upload: MetricsUpload = read_body()
    except NotJson:
        return _not_rows()
    except Invalid as exc:
        if "too_short" in exc.kinds:
            return api_error(422, "no_rows", "Send at least one row.")
        if "too_long" in exc.kinds:
            return api_error(
                413, "too_many_rows", f"Send at most {MAX_METRIC_ROWS} rows per request."
            )
        return _not_rows()
    items = upload.items
    report, _rows = metrics.import_api_rows(db.session, g.api_org_id, items, now=clock.now())
    if report.errors:
        db.session.rollback()  # nothing was saved
        return api_error(
            422,
            "invalid_rows",
            f"{len({e.line for e in report.errors})} of {len(items)} rows are invalid; nothing was saved.",
            errors=[e.as_json() for e in report.errors],
        )
    db.session.commit()
    saved = MetricsSaved(
        saved=report.rows_ok, days_created=report.days_created, days_updated=report.days_updated
    )
    return jsonify(saved.model_dump(mode="json"))


def _not_rows() -> tuple[Response, int]:
    return api_error(
        400, "invalid_json", "Send a JSON list of rows, or an object with a `rows` list."
    )
