"""GET /api/v1/openapi.json: the OpenAPI 3.1 document, generated from the routes and their
declared pydantic models (webapp/web/api/spec.py)."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from webapp.web.api.spec import document, operation
from webapp.web.api.views import bp


@bp.get("/openapi.json")
@operation(
    "This document",
    operation_id="openapi",
    answers={200: (None, "The OpenAPI 3.1 description of this API.")},
    public=True,
)
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of every /api/v1 endpoint (no key needed)."""
    public = (current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    return jsonify(document(current_app, bp.url_prefix, public))
