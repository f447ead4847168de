"""The Operations page (a workspace's figures; support sees the whole deployment) and
`/metrics`, the same figures in Prometheus's text format for the deployment's monitoring,
behind the service token. Under gunicorn, the per-process request counter is summed over
the workers through prometheus-client's multiprocess mode (`autopilot serve` sets
PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import os

from flask import Blueprint, Response, abort, render_template, request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_required
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from webapp.core import clock
from webapp.core.extensions import csrf, db
from webapp.services.ops.operations import operations
from webapp.web.api.auth import service_token_required
from webapp.web.context import load_membership

bp = Blueprint("operations", __name__)

REQUESTS = Counter("autopilot_http_requests", "HTTP requests answered, by status class", ["status"])


@bp.record_once
def _count_requests(state: BlueprintSetupState) -> None:
    @state.app.after_request
    def count(response):
        REQUESTS.labels(f"{response.status_code // 100}xx").inc()
        return response


@bp.route("/health/operations")
@login_required
def page():
    """A member sees the workspace's figures; support may see every workspace's."""
    membership = load_membership()
    everyone = current_user.is_support and (
        request.args.get("scope") == "all" or membership is None
    )
    if not everyone and membership is None:
        abort(403, "You are not a member of any workspace.")
    org_id = None if everyone else membership.org.id
    ops = operations(db.session, now=clock.now(), org_id=org_id)
    return render_template(
        "ops/operations.html", ops=ops, everyone=everyone, in_workspace=membership is not None
    )


class _Figures:
    """Collects the deployment's figures from the database at scrape time."""

    def collect(self):
        ops = operations(db.session, now=clock.now())
        for figure in ops.figures:
            gauge = GaugeMetricFamily(f"autopilot_{figure.key}", figure.how)
            gauge.add_metric([], float("nan") if figure.value is None else float(figure.value))
            yield gauge
        tokens = GaugeMetricFamily(
            "autopilot_ai_tokens_7d", "AI tokens in the last 7 days, by feature", labels=["feature"]
        )
        cost = GaugeMetricFamily(
            "autopilot_ai_cost_usd_7d",
            "AI spend in the last 7 days, by feature",
            labels=["feature"],
        )
        for use in ops.ai:
            tokens.add_metric([use.feature], use.tokens)
            cost.add_metric([use.feature], float(use.cost_usd))
        yield tokens
        yield cost


@bp.route("/metrics")
@csrf.exempt
@service_token_required
def metrics():
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
    registry.register(_Figures())
    body = generate_latest(registry)
    db.session.rollback()
    return Response(body, mimetype=CONTENT_TYPE_LATEST)
