"""The OpenAPI 3.1 document, generated from the routes and the pydantic models they declare.

Each endpoint declares itself once with `@operation(...)`: summary, the body, query and path
models, and its answers with their models. The views read their input through those same
models (webapp/web/api/validation.py) and build their answers with the response models
(webapp/web/api/schemas.py), so the document cannot drift from the code. `document(app)`
walks the app's /api/v1 routes (an undeclared route fails the test suite), takes each
operation's declaration, and lets pydantic write every JSON Schema
(`models_json_schema`, with references into `components/schemas`). Security comes from the
view's key or token decorator (webapp/web/api/auth.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, request
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from webapp.web.api.schemas import ErrorBody

F = TypeVar("F", bound=Callable[..., Any])

REF = "#/components/schemas/{model}"
SECURITY = {
    "api_key": [{"apiKey": []}, {"apiKeyHeader": []}],
    "service_token": [{"serviceToken": []}],
    None: [],
}
# Answers every endpoint of a kind may give, described once under components/responses.
SHARED = {
    400: ("BadRequest", "The body was not JSON of the right shape."),
    401: ("Unauthorized", "Missing or wrong key or token."),
    403: ("NoServiceToken", "SERVICE_TOKEN is not set on this deployment."),
    404: ("NotFound", "No such resource in your workspace."),
    422: ("Invalid", "Some input is not valid; see `fields`."),
}
AUTH_ERRORS = {"api_key": (401,), "service_token": (401, 403), None: ()}
SECURITY_SCHEMES = {
    "apiKey": {"type": "http", "scheme": "bearer", "description": "A workspace API key (ap_…)."},
    "apiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same key in a header instead.",
    },
    "serviceToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The deployment's SERVICE_TOKEN.",
    },
}
DESCRIPTION = (
    "Workspace endpoints take a workspace API key (Settings → API keys) as "
    "`Authorization: Bearer <key>` (or `X-API-Key`). Cron endpoints take the deployment's "
    'SERVICE_TOKEN the same way. Errors are JSON: {"error": {"code", "message", "fields"?}}.'
)


@dataclass(frozen=True)
class Answer:
    """One documented answer: its model (None for no body) and what it means."""

    model: type[BaseModel] | None
    description: str


@dataclass(frozen=True)
class Operation:
    summary: str
    operation_id: str
    answers: Mapping[int, Answer]
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()  # shared answers (SHARED) besides those of the security
    public: bool = False  # no key or token needed


def operation(
    summary: str,
    *,
    operation_id: str,
    answers: Mapping[int, Answer | tuple[type[BaseModel] | None, str]],
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    path: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
) -> Callable[[F], F]:
    """Declare an endpoint for the document and for `read_body` / `read_query`."""
    declaration = Operation(
        summary=summary,
        operation_id=operation_id,
        answers={s: a if isinstance(a, Answer) else Answer(*a) for s, a in answers.items()},
        body=body,
        body_required=body_required,
        query=query,
        path=path,
        errors=errors,
        public=public,
    )

    def mark(view: F) -> F:
        view.__openapi__ = declaration  # type: ignore[attr-defined]
        return view

    return mark


def declared() -> Operation:
    """The declaration of the endpoint serving this request."""
    return current_app.view_functions[request.endpoint].__openapi__


def _security(view: Callable) -> str | None:
    return getattr(view, "api_security", None)


def api_operations(app: Flask, prefix: str) -> list[tuple[str, str, Callable]]:
    """(OpenAPI path, method, view) of every route under `prefix`, in URL-map order;
    `<int:campaign_id>` reads `{campaign_id}`."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((path, method.lower(), app.view_functions[rule.endpoint]))
    return found


def document(app: Flask, prefix: str, server_url: str) -> dict:
    """The whole OpenAPI document of the routes under `prefix`, served from `server_url`."""
    routes = api_operations(app, prefix)
    missing = [f"{m.upper()} {p}" for p, m, view in routes if not hasattr(view, "__openapi__")]
    if missing:
        raise LookupError(f"undeclared API endpoints: {', '.join(missing)}")
    models = _models([view.__openapi__ for _p, _m, view in routes])
    refs, defs = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    schemas = {m: refs[(m, "validation")] for m in models}
    paths: dict[str, dict] = {}
    for path, method, view in routes:
        op: Operation = view.__openapi__
        if set(re.findall(r"{(\w+)}", path)) != set(op.path.model_fields if op.path else ()):
            raise LookupError(f"{op.operation_id}: its path model does not name {path}'s parts")
        paths.setdefault(path, {})[method] = _operation(op, _security(view), schemas)
    error_ref = schemas[ErrorBody]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Marketing Autopilot API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": defs.get("$defs", {}),
            "responses": {
                name: _content(error_ref, description) for name, description in SHARED.values()
            },
        },
    }


def _models(operations: list[Operation]) -> list[type[BaseModel]]:
    seen: dict[type[BaseModel], None] = {}
    for op in operations:
        for model in (op.body, *(a.model for a in op.answers.values())):
            if model is not None:
                seen.setdefault(model, None)
    seen.setdefault(ErrorBody, None)
    return list(seen)


def _operation(op: Operation, security: str | None, schemas: dict) -> dict:
    if security is None and not op.public:
        raise LookupError(f"{op.operation_id} needs a key decorator or public=True")
    out: dict[str, Any] = {
        "summary": op.summary,
        "operationId": op.operation_id,
        "security": SECURITY[security],
    }
    parameters = _parameters(op.path, "path") + _parameters(op.query, "query")
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": schemas[op.body]}},
        }
    responses: dict[str, Any] = {}
    for status, answer in sorted(op.answers.items()):
        if answer.model is None:
            responses[str(status)] = {"description": answer.description}
        else:
            responses[str(status)] = _content(schemas[answer.model], answer.description)
    for status in (*op.errors, *AUTH_ERRORS[security]):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/{SHARED[status][0]}"})
    out["responses"] = responses
    return out


def _content(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict]:
    """One parameter per field of a flat model (its JSON Schema, description and default)."""
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    if "$defs" in schema:
        raise TypeError(f"{model.__name__}: parameters must be plain values, not models")
    out = []
    for name, info in model.model_fields.items():
        prop = {k: v for k, v in schema["properties"][name].items() if k != "title"}
        variants = [v for v in prop.get("anyOf", []) if v != {"type": "null"}]
        if len(variants) == 1:  # an optional parameter is one left out, never a null
            del prop["anyOf"]
            prop.update(variants[0])
            if prop.get("default", ...) is None:
                del prop["default"]
        description = prop.pop("description", None)
        parameter = {"name": name, "in": where, "required": info.is_required(), "schema": prop}
        if where == "path":
            parameter["required"] = True
        if description:
            parameter["description"] = description
        out.append(parameter)
    return out
