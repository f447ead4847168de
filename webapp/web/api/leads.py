"""JSON API for leads: POST /api/v1/leads (create or merge) and GET /api/v1/leads (a page)."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify, request

from webapp import clock
from webapp.extensions import db
from webapp.models import LEAD_STATUSES, Lead, Organization
from webapp.services import lead_search
from webapp.services.leads import LeadInvalid, capture_lead
from webapp.web.api.auth import api_error, api_key_required
from webapp.web.api.views import bp


def lead_json(lead: Lead) -> dict:
    return {
        "id": lead.id,
        "name": lead.full_name,
        "email": lead.email,
        "phone": lead.phone,
        "company": lead.company,
        "source": lead.source,
        "status": lead.status,
        "score": lead.score,
        "score_reasons": lead.score_reasons,
        "timezone": lead.timezone,
        "campaign_id": lead.campaign_id,
        "fields": {k: v for k, v in (lead.extra or {}).items() if not k.startswith("_")},
        "unsubscribed": lead.unsubscribed_at is not None,
        "created_at": lead.created_at.isoformat(),
        "updated_at": lead.updated_at.isoformat(),
    }


@bp.post("/leads")
@api_key_required
def create_lead():  # noqa: ANN201
    """Create a lead (201) or merge it into the one with the same email or phone (200)."""
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        return api_error(400, "json_required", "Send a JSON object with `Content-Type: application/json`, such as {\"email\": \"ana@example.com\"}.")
    try:
        lead, created = capture_lead(db.session, g.api_org_id, data, source="api", now=clock.now())
    except LeadInvalid as exc:
        db.session.commit()  # nothing of the lead was written; keep the key's last-used time
        return api_error(422, "invalid_lead", "Some fields are not valid; see `fields`.", fields=exc.errors)
    db.session.commit()
    return jsonify({"lead": lead_json(lead), "created": created}), 201 if created else 200


@bp.get("/leads")
@api_key_required
def list_leads():  # noqa: ANN201
    """A page of leads: `q`, `status`, `source`, `since`, `until` (YYYY-MM-DD in the
    workspace's zone), `min_score`, `sort` (newest|oldest|score|name), `page`, `per_page`."""
    errors: dict[str, str] = {}
    args = request.args

    def number(name: str, default: int | None, low: int, high: int) -> int | None:
        raw = args.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            errors[name] = "must be a whole number"
            return default
        if not low <= value <= high:
            errors[name] = f"must be between {low} and {high}"
        return value

    def day(name: str) -> date | None:
        raw = args.get(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = "must be a date as YYYY-MM-DD"
            return None

    status = args.get("status") or None
    if status and status not in LEAD_STATUSES:
        errors["status"] = f"must be one of {', '.join(LEAD_STATUSES)}"
    sort = args.get("sort") or "newest"
    if sort not in lead_search.SORTS:
        errors["sort"] = f"must be one of {', '.join(lead_search.SORTS)}"
    page = number("page", 1, 1, 1_000_000)
    per_page = number("per_page", 50, 1, lead_search.MAX_PER_PAGE)
    min_score = number("min_score", None, 0, 100)
    since, until = day("since"), day("until")
    if errors:
        return api_error(422, "invalid_query", "Some parameters are not valid; see `fields`.", fields=errors)
    org = db.session.get(Organization, g.api_org_id)
    filters = lead_search.LeadFilter(
        status=status, source=args.get("source") or None, since=since, until=until,
        min_score=min_score, tz=org.timezone,
    )
    result = lead_search.search_leads(db.session, org.id, args.get("q"), filters, sort, page, per_page)
    db.session.commit()  # the key's last-used time
    return jsonify({
        "leads": [lead_json(lead) for lead in result.rows],
        "page": result.page, "per_page": result.per_page, "has_next": result.has_next,
        "total": result.total, "total_is_lower_bound": result.total_capped,
    })
