"""JSON API for marketing campaigns (workspace API key), on the API blueprint:

  POST /api/v1/marketing/campaigns                       create a draft
  GET  /api/v1/marketing/campaigns                       a page (status, type, page, per_page)
  GET  /api/v1/marketing/campaigns/<id>                  one campaign
  POST /api/v1/marketing/campaigns/<id>/status           {"status": …} (409 when not allowed)
  GET  /api/v1/marketing/predict/<id>                    its prediction per channel
  POST /api/v1/marketing/generate-assets/<id>            write its default assets (queued)

Another workspace's campaign is 404. The same services as the pages."""

from __future__ import annotations

from flask import Response, g, jsonify

from webapp.core import clock
from webapp.core.errors import NotFound
from webapp.core.extensions import db
from webapp.core.tenancy import get_scoped
from webapp.models import ApiKey, MarketingCampaign, Organization
from webapp.services import assets, marketing
from webapp.services.prediction import predict_campaign
from webapp.web.api.auth import api_error, api_key_required
from webapp.web.api.schemas import ErrorBody
from webapp.web.api.spec import Answer, operation
from webapp.web.api.validation import Invalid, NotJson, read_body, read_query
from webapp.web.api.views import bp
from webapp.web.assets.views import write_soon
from webapp.web.marketing.api_schemas import (
    CampaignInput,
    CampaignOut,
    CampaignPage,
    CampaignPath,
    CampaignQuery,
    GeneratedAssets,
    PredictionOut,
    StatusInput,
)

JSON_REQUIRED = (
    'Send a JSON object with `Content-Type: application/json`, such as {"status": "active"}.'
)
INVALID = "Some fields are not valid; see `fields`."
NO_CAMPAIGN = "No such marketing campaign in your workspace."


def _json(model, status: int = 200) -> tuple[Response, int]:
    return jsonify(model.model_dump(mode="json")), status


def _campaign(campaign_id: int) -> MarketingCampaign | None:
    try:
        return get_scoped(db.session, MarketingCampaign, campaign_id, g.api_org_id)
    except NotFound:
        return None


def _actor() -> int | None:
    """The person who made the API key: the feed shows them, not "the autopilot"."""
    key = db.session.get(ApiKey, g.api_key_id)
    return key.created_by_id if key else None


def _org() -> Organization:
    return db.session.get(Organization, g.api_org_id)


@bp.post("/marketing/campaigns")
@operation(
    "Create a marketing campaign (a draft)",
    operation_id="createMarketingCampaign",
    body=CampaignInput,
    answers={201: (CampaignOut, "Created, as a draft.")},
    errors=(400, 422),
)
@api_key_required
def create_marketing_campaign() -> tuple[Response, int]:
    try:
        body: CampaignInput = read_body()
        campaign = marketing.create_campaign(
            db.session, _org(), body.model_dump(), actor_id=_actor(), now=clock.now()
        )
    except NotJson:
        return api_error(400, "json_required", JSON_REQUIRED)
    except Invalid as exc:
        return api_error(422, "invalid_campaign", INVALID, fields=exc.fields)
    except marketing.CampaignError as exc:
        db.session.rollback()
        return api_error(422, "invalid_campaign", INVALID, fields={exc.field or "body": str(exc)})
    answer = _json(CampaignOut.of(campaign), 201)
    db.session.commit()
    return answer


@bp.get("/marketing/campaigns")
@operation(
    "A page of marketing campaigns, newest first",
    operation_id="listMarketingCampaigns",
    query=CampaignQuery,
    answers={200: (CampaignPage, "One page.")},
    errors=(422,),
)
@api_key_required
def list_marketing_campaigns() -> tuple[Response, int]:
    try:
        query: CampaignQuery = read_query()
    except Invalid as exc:
        return api_error(422, "invalid_query", INVALID, fields=exc.fields)
    result = marketing.list_campaigns(
        db.session,
        g.api_org_id,
        status=query.status,
        type=query.type,
        page=query.page,
        per_page=query.per_page,
    )
    page = CampaignPage(
        campaigns=[CampaignOut.of(c) for c in result.rows],
        page=result.page,
        per_page=result.per_page,
        total=result.total,
        has_next=result.has_next,
    )
    return _json(page)


@bp.get("/marketing/campaigns/<int:marketing_campaign_id>")
@operation(
    "One marketing campaign",
    operation_id="getMarketingCampaign",
    path=CampaignPath,
    answers={200: (CampaignOut, "The campaign.")},
    errors=(404,),
)
@api_key_required
def get_marketing_campaign(marketing_campaign_id: int) -> tuple[Response, int]:
    campaign = _campaign(marketing_campaign_id)
    if campaign is None:
        return api_error(404, "not_found", NO_CAMPAIGN)
    return _json(CampaignOut.of(campaign))


@bp.post("/marketing/campaigns/<int:marketing_campaign_id>/status")
@operation(
    "Move a marketing campaign to another status",
    operation_id="changeMarketingCampaignStatus",
    path=CampaignPath,
    body=StatusInput,
    answers={
        200: (CampaignOut, "Moved."),
        409: Answer(ErrorBody, "Not allowed from its status; `fields.status` says what is."),
    },
    errors=(400, 404, 422),
)
@api_key_required
def change_marketing_campaign_status(marketing_campaign_id: int) -> tuple[Response, int]:
    campaign = _campaign(marketing_campaign_id)
    if campaign is None:
        return api_error(404, "not_found", NO_CAMPAIGN)
    try:
        body: StatusInput = read_body()
        marketing.change_status(
            db.session, _org(), campaign, body.status, actor_id=_actor(), now=clock.now()
        )
    except NotJson:
        return api_error(400, "json_required", JSON_REQUIRED)
    except Invalid as exc:
        return api_error(422, "invalid_status", INVALID, fields=exc.fields)
    except marketing.CampaignError as exc:
        db.session.rollback()
        return api_error(409, "status_refused", str(exc), fields={"status": str(exc)})
    answer = _json(CampaignOut.of(campaign))
    db.session.commit()
    return answer


@bp.get("/marketing/predict/<int:marketing_campaign_id>")
@operation(
    "What a marketing campaign's budget is likely to bring, per channel",
    operation_id="predictMarketingCampaign",
    path=CampaignPath,
    answers={200: (PredictionOut, "Median and 80 % interval per paid channel.")},
    errors=(404,),
)
@api_key_required
def predict_marketing_campaign(marketing_campaign_id: int) -> tuple[Response, int]:
    campaign = _campaign(marketing_campaign_id)
    if campaign is None:
        return api_error(404, "not_found", NO_CAMPAIGN)
    today = marketing.local_today(_org(), clock.now())
    prediction = predict_campaign(db.session, campaign, today=today)
    return _json(PredictionOut.of(campaign.id, prediction))


@bp.post("/marketing/generate-assets/<int:marketing_campaign_id>")
@operation(
    "Write a marketing campaign's assets (its type's default set, queued)",
    operation_id="generateMarketingCampaignAssets",
    path=CampaignPath,
    answers={202: (GeneratedAssets, "Queued; each is written right after this answer.")},
    errors=(404,),
)
@api_key_required
def generate_marketing_campaign_assets(marketing_campaign_id: int) -> tuple[Response, int]:
    campaign = _campaign(marketing_campaign_id)
    if campaign is None:
        return api_error(404, "not_found", NO_CAMPAIGN)
    made = assets.generate_for_campaign(
        db.session, g.api_org_id, campaign, actor_id=_actor(), now=clock.now()
    )
    answer = GeneratedAssets(
        campaign_id=campaign.id,
        queued=[{"id": a.id, "type": a.type, "name": a.name} for a in made],
    )
    ids = [a.id for a in made]
    db.session.commit()
    write_soon(ids)
    return _json(answer, 202)
