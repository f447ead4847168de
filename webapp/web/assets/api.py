"""JSON API for AI writing (workspace API key), each call counted against the monthly AI
budget with its cost in the answer:

  POST /api/v1/ai/generate     a library template (+ variables) or a custom prompt
  POST /api/v1/ai/variations   the same, 1-5 different answers
  POST /api/v1/ai/optimize     a text rewritten: shorter, more_urgent, friendlier, sms
  GET  /api/v1/ai/prompts      the library: built-in templates and the workspace's own
  POST /api/v1/ai/prompts      add a workspace template (declared variables only)
"""

from __future__ import annotations

from decimal import Decimal

from flask import Response, g, jsonify

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import Organization
from webapp.services import assets
from webapp.web.api.auth import api_error, api_key_required
from webapp.web.api.spec import operation
from webapp.web.api.validation import Invalid, NotJson, read_body
from webapp.web.api.views import bp
from webapp.web.assets.api_schemas import (
    Generated,
    GeneratedList,
    GenerateRequest,
    OptimizeRequest,
    PromptIn,
    PromptList,
    PromptOut,
    VariationsRequest,
)

JSON_REQUIRED = 'Send a JSON object with `Content-Type: application/json`, such as {"template": "social-post", "variables": {...}}.'
INVALID = "Some input is not valid; see `fields`."


def _read():
    try:
        return read_body(), None
    except NotJson:
        return None, api_error(400, "json_required", JSON_REQUIRED)
    except Invalid as exc:
        return None, api_error(422, "invalid_input", INVALID, fields=exc.fields)


def _refused(exc: Exception) -> tuple[Response, int]:
    db.session.commit()  # the AI calls made so far stay counted
    if isinstance(exc, assets.AiUnavailable):
        return api_error(503, "ai_unavailable", str(exc))
    return api_error(422, "invalid_input", INVALID, fields={exc.field: str(exc)})


@bp.post("/ai/generate")
@operation(
    "Write with a library template or a custom prompt",
    operation_id="aiGenerate",
    body=GenerateRequest,
    answers={200: (Generated, "The text, its writer, tokens and cost.")},
    errors=(400, 422),
)
@api_key_required
def ai_generate() -> tuple[Response, int]:
    return _written(
        lambda body, org: assets.generate(
            db.session,
            org,
            template_name=body.template,
            prompt=body.prompt,
            variables=body.variables,
            language=body.language,
            now=clock.now(),
        )  # fmt: skip
    )


def _written(write) -> tuple[Response, int]:
    """Read the body, let `write(body, org)` answer, and send the answer (or the refusal)."""
    body, error = _read()
    if error:
        return error
    try:
        answer = write(body, db.session.get(Organization, g.api_org_id))
    except (assets.PromptError, assets.AiUnavailable) as exc:
        return _refused(exc)
    db.session.commit()
    return jsonify(Generated.of(answer).model_dump(mode="json")), 200


@bp.post("/ai/variations")
@operation(
    "Several different answers for a template or prompt",
    operation_id="aiVariations",
    body=VariationsRequest,
    answers={200: (GeneratedList, "The variations and their total cost.")},
    errors=(400, 422),
)
@api_key_required
def ai_variations() -> tuple[Response, int]:
    body, error = _read()
    if error:
        return error
    org = db.session.get(Organization, g.api_org_id)
    answers = []
    try:
        for n in range(body.count):
            answers.append(
                assets.generate(
                    db.session,
                    org,
                    template_name=body.template,
                    prompt=body.prompt,
                    variables=body.variables,
                    language=body.language,
                    now=clock.now(),
                    variation=n,
                    action="variations",
                )
            )
            db.session.commit()  # each answer's calls counted before the next (the budget)
    except (assets.PromptError, assets.AiUnavailable) as exc:
        return _refused(exc)
    total = sum((a.cost_usd for a in answers), Decimal("0"))
    return jsonify(
        GeneratedList(variations=[Generated.of(a) for a in answers], cost=total).model_dump(
            mode="json"
        )
    ), 200


@bp.post("/ai/optimize")
@operation(
    "Rewrite a text for a goal: shorter, more urgent, friendlier, one SMS",
    operation_id="aiOptimize",
    body=OptimizeRequest,
    answers={200: (Generated, "The rewritten text, its writer, tokens and cost.")},
    errors=(400, 422),
)
@api_key_required
def ai_optimize() -> tuple[Response, int]:
    return _written(
        lambda body, org: assets.optimize(
            db.session,
            org,
            content=body.content,
            goal=body.goal,
            language=body.language,
            now=clock.now(),
        )  # fmt: skip
    )


@bp.get("/ai/prompts")
@operation(
    "The prompt templates: built-in and the workspace's own",
    operation_id="listPrompts",
    answers={200: (PromptList, "Every template with its variables.")},
)
@api_key_required
def list_prompts() -> Response:
    templates = assets.list_templates(db.session, g.api_org_id)
    return jsonify(PromptList(prompts=[PromptOut.of(t) for t in templates]).model_dump(mode="json"))


@bp.post("/ai/prompts")
@operation(
    "Add a prompt template to the workspace",
    operation_id="createPrompt",
    body=PromptIn,
    answers={201: (PromptOut, "Added.")},
    errors=(400, 422),
)
@api_key_required
def create_prompt() -> tuple[Response, int]:
    body, error = _read()
    if error:
        return error
    try:
        template = assets.create_template(
            db.session, g.api_org_id, body.model_dump(), actor_id=None, now=clock.now()
        )
    except assets.PromptError as exc:
        db.session.rollback()
        return api_error(422, "invalid_prompt", INVALID, fields={exc.field: str(exc)})
    answer = PromptOut.of(template).model_dump(mode="json")
    db.session.commit()
    return jsonify(answer), 201
