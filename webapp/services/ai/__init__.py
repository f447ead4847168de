"""AI as the workspace sees it: structured answers from OpenAI or the built-in writer
(`answers`), what they cost this month (`usage`) and the monthly budget that caps it
(`budget`). The call to OpenAI itself is the adapter `webapp.integrations.openai`.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "AiResult": "answers",
    "BUILTIN_MODEL": "answers",
    "DEFAULT_AI_BUDGET": "budget",
    "ai_settings_for": "answers",
    "complete_json": "answers",
    "record_call": "usage",
    # The assets area prices and budgets its picture and speech calls the same way.
    "monthly_usage": "usage",
    "notice_budget": "budget",
    "spent_reason": "budget",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
