"""The OpenAI adapter's pieces that need no server: the JSON-Schema subset answers are
validated against. (Asking a local OpenAI-compatible server: tests/ai.)"""

from __future__ import annotations

import pytest

from webapp.integrations.openai import SchemaError, schema_errors, validate

SCHEMA = {
    "type": "object",
    "required": ["headline", "score"],
    "properties": {
        "headline": {"type": "string", "minLength": 3},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
    },
}
GOOD = {"headline": "Fresh bread daily", "score": 7}


@pytest.mark.parametrize(
    ("value", "schema", "problem"),
    [
        ({"a": 1}, {"type": "array"}, "$ should be array, got dict"),
        (True, {"type": "integer"}, "$ should be integer, got bool"),
        (1.5, {"type": "integer"}, "$ should be integer, got float"),
        ("x", {"type": "string", "enum": ["a", "b"]}, "$ should be one of a, b"),
        (-1, {"type": "number", "minimum": 0}, "$ should be at least 0"),
        ([1, 2, 3], {"type": "array", "maxItems": 2}, "$ should have at most 2 items"),
        ([], {"type": "array", "minItems": 1}, "$ should have at least 1 items"),
        (
            ["a", 2],
            {"type": "array", "items": {"type": "string"}},
            "$[1] should be string, got int",
        ),
        (
            {"b": {}},
            {"type": "object", "properties": {"b": {"type": "object", "required": ["c"]}}},
            "$.b.c is missing",
        ),
        ("  ", {"type": "string", "minLength": 1}, "$ should have at least 1 characters"),
    ],
)
def test_it_validates_the_schema_subset(value, schema, problem):
    assert problem in schema_errors(value, schema)
    with pytest.raises(SchemaError):
        validate(value, schema)


def test_it_accepts_what_matches():
    validate({"headline": "Fresh", "score": 3.0, "extra": None}, SCHEMA)
    validate(None, {"type": ["string", "null"]})
    assert schema_errors(GOOD, SCHEMA) == []
