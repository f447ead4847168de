"""The coach's writer reads the AI layer's answer through its pydantic model."""

from __future__ import annotations

from tests.conftest import START
from webapp.core.extensions import db
from webapp.core.json_schema import ai_schema
from webapp.services.ai.answers import AiResult
from webapp.services.coach import writer

BRIEF = writer.Brief(
    org_name="Alice Bakes",
    first_name="Ana",
    goal="Bake twice a week",
    tone="friendly",
    language="en",
    kind="followup",
)


def test_the_schema_sent_is_the_answer_model():
    assert writer.SCHEMA == ai_schema(writer.CoachMessage)
    assert writer.SCHEMA["properties"]["message"]["maxLength"] == writer.MAX_LENGTH


def test_it_trims_an_answer(app, alice_org, monkeypatch):
    answer = AiResult({"message": "  Hi Ana!  "}, "openai", "gpt-4o-mini", None)
    monkeypatch.setattr(writer, "complete_json", lambda *a, **k: answer)
    result = writer.write_message(db.session, alice_org.id, BRIEF, now=START)
    assert result.data == {"message": "Hi Ana!"} and result.provider == "openai"


def test_it_falls_back_to_the_builtin_writer_when_an_answer_breaks_the_model(
    app, alice_org, monkeypatch
):
    broken = AiResult({"message": "   "}, "openai", "gpt-4o-mini", None)
    monkeypatch.setattr(writer, "complete_json", lambda *a, **k: broken)
    result = writer.write_message(db.session, alice_org.id, BRIEF, now=START)
    assert result.provider == "builtin" and result.model == writer.BUILTIN_MODEL
    assert result.data == writer.builtin_message(BRIEF)
    assert result.fallback_reason.startswith("the openai message did not fit")
