"""AI answer schemas come from pydantic models, written in place for the AI layer."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from webapp.core.json_schema import ai_schema
from webapp.integrations.openai import schema_errors


class Inner(BaseModel):
    title: str = Field(min_length=1)


class Outer(BaseModel):
    items: list[Inner] = Field(min_length=1)
    note: str = "x"


class Loop(BaseModel):
    child: Loop | None = None


def test_it_inlines_references_and_drops_titles():
    schema = ai_schema(Outer)
    assert "$defs" not in schema and "title" not in schema
    inner = schema["properties"]["items"]["items"]
    assert inner == {
        "properties": {"title": {"minLength": 1, "type": "string"}},  # a field named title stays
        "required": ["title"],
        "type": "object",
    }
    # The AI layer's own checker now sees the nested rules.
    assert schema_errors({"items": [{"title": ""}]}, schema) == [
        "$.items[0].title should have at least 1 characters"
    ]


def test_it_refuses_a_recursive_model():
    with pytest.raises(ValueError, match="refers to itself"):
        ai_schema(Loop)
