"""JSON Schemas from pydantic models, in the form the AI layer sends and checks.

A service that asks the AI layer for JSON declares the answer as a pydantic model, sends
`ai_schema(Model)` as the schema, and validates the answer with `Model.model_validate`.
The AI layer puts the schema into the prompt and checks answers against a small subset of
JSON Schema (type, properties, required, items, enum, bounds) that does not follow `$ref`,
so nested models are written in place; titles are dropped (they only cost tokens).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def ai_schema(model: type[BaseModel]) -> dict:
    """`model`'s JSON Schema (validation mode) with every `$ref` replaced by its definition
    and without titles. Raises ValueError for a recursive model, which cannot be inlined."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})
    return _inline(schema, definitions, ())


def _inline(node: Any, definitions: dict, seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            raise ValueError(f"{name} refers to itself; an AI answer schema must be finite")
        return _inline(definitions[name], definitions, (*seen, name))
    return {
        key: _inline_key(key, value, definitions, seen)
        for key, value in node.items()
        if key != "title"
    }


def _inline_key(key: str, value: Any, definitions: dict, seen: tuple[str, ...]) -> Any:
    if key == "properties":  # property names are data here, not schema keywords
        return {name: _inline(sub, definitions, seen) for name, sub in value.items()}
    if key in ("default", "enum", "const", "examples"):
        return value
    return _inline(value, definitions, seen)
