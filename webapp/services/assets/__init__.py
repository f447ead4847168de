"""AI-made marketing assets: email sequences, social posts, ads, video scripts, voice ads
and banner images, written by the built-in offline writer (phrase banks, espeak-ng,
Pillow) or by OpenAI when configured; their variations, approval and generations; and the
prompt templates library with its safe rendering.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "AiAnswer": "api_ops",
    "AiUnavailable": "api_ops",
    "AssetError": "manage",
    "AssetFilter": "manage",
    "DEFAULT_ASSETS": "manage",
    "GOALS": "extras",
    "KIND": "generation",
    "LENGTHS": "manage",
    "OPTION_CHOICES": "manage",
    "PAGE_SIZE": "manage",
    "PromptError": "prompts",
    "approve": "manage",
    "approved_assets": "manage",
    "choose": "manage",
    "create_asset": "manage",
    "create_template": "prompts",
    "current": "manage",
    "edit": "manage",
    "font": "banner",
    "generate": "api_ops",
    "generate_for_campaign": "manage",
    "generations_of": "manage",
    "list_assets": "manage",
    "list_templates": "prompts",
    "optimize": "api_ops",
    "pending_job_ids": "running",
    "preview_text": "email_html",
    "problems_of": "limits",
    "regenerate": "manage",
    "render_html": "email_html",
    "render_text": "email_html",
    "run_asset_jobs": "running",
    "text_of": "texts",
    "to_sequence": "sequence",
    "unapprove": "manage",
    "variations": "manage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
