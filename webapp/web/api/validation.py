"""Reading API input through pydantic models, with errors in the API's own words.

A model declares each field's type and bounds (which the OpenAPI document shows) and, with
`Explain` (explain.py), what to say when a value does not fit, so the `fields` of a 422
answer read "must be a whole number" rather than pydantic's sentences. Views read the body
and the query of their endpoint with `read_body` / `read_query`, which use the models the
endpoint declares for the document (webapp/web/api/spec.py): the model that validates is
the model that is documented.
"""

from __future__ import annotations

from typing import Any

from flask import request
from pydantic import BaseModel, ValidationError

from webapp.web.api.explain import Explain
from webapp.web.api.spec import declared


class NotJson(Exception):
    """The body is not JSON of the shape the endpoint reads (an object, a list)."""


class Invalid(Exception):
    """The input does not fit its model: `fields` maps each field to what is wrong."""

    def __init__(self, fields: dict[str, str], kinds: frozenset[str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields
        self.kinds = kinds  # pydantic's error types, for answers that depend on them


def field_errors(model: type[BaseModel], exc: ValidationError) -> dict[str, str]:
    """{top-level field: message} for each field `exc` finds at fault (the first problem)."""
    out: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "body"
        if name not in out:
            out[name] = _message(model, name, error)
    return out


def _message(model: type[BaseModel], name: str, error: Any) -> str:
    if error["type"] != "missing":
        return error["msg"]
    info = model.model_fields.get(name)
    explain = next((m for m in info.metadata if isinstance(m, Explain)), None) if info else None
    return explain.message if explain else "is required"


def validate(model: type[BaseModel], data: Any) -> BaseModel:
    """`data` as `model`, or Invalid naming each field at fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        kinds = frozenset(e["type"] for e in exc.errors(include_url=False))
        raise Invalid(field_errors(model, exc), kinds) from None


def read_body(*, optional: bool = False) -> Any:
    """The request's JSON body as the endpoint's declared body model.

    With `optional`, an empty body reads as the model's defaults. Raises NotJson when the
    body is not JSON (or not an object, for a model of an object), Invalid otherwise.
    """
    model = declared().body
    if model is None:
        raise LookupError(f"{request.endpoint} declares no body model")
    if optional and not request.data:
        return model()
    data = request.get_json(silent=True) if request.is_json else None
    if data is None or (not _is_root(model) and not isinstance(data, dict)):
        raise NotJson()
    return validate(model, data)


def read_query() -> Any:
    """The query string as the endpoint's declared query model; an empty value counts as
    not given. Raises Invalid."""
    model = declared().query
    if model is None:
        raise LookupError(f"{request.endpoint} declares no query model")
    return validate(model, {k: v for k, v in request.args.items() if v != ""})


def _is_root(model: type[BaseModel]) -> bool:
    return "root" in model.model_fields
