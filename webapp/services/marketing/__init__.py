"""Marketing campaigns by objective: types, statuses and their transitions, dates the
scheduler acts on, the brief every writer reads, and the autopilot's budget campaigns as
their paid-media part.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "Brief": "brief",
    "brief_for": "brief",
    "CampaignError": "campaigns",
    "StatusRefused": "status",
    "TRANSITIONS": "status",
    "TYPE_LABELS": "campaigns",
    "allowed_next": "status",
    "button_label": "status",
    "change_status": "status",
    "create_campaign": "campaigns",
    "link_line": "paid_media",
    "linkable_lines": "paid_media",
    "list_campaigns": "campaigns",
    "local_today": "campaigns",
    "paid_media_of": "paid_media",
    "run_due": "status",
    "status_counts": "campaigns",
    "type_label": "campaigns",
    "unlink_line": "paid_media",
    "update_campaign": "campaigns",
    "BrandInvalid": "brand",
    "Palette": "brand",
    "brand_of": "brand",
    "brand_palette": "brand",
    "clean_logo": "brand",
    "contrast_ratio": "brand",
    "contrast_warning": "brand",
    "ensure_public_slug": "brand",
    "png_size": "brand",
    "save_brand": "brand",
    "slugify": "brand",
    "suggest_public_slug": "brand",
    "EmailLayout": "email_layout",
    "LayoutBrand": "email_layout",
    "body_html": "email_layout",
    "compile_layout": "email_layout",
    "layout_for": "email_layout",
    "layouts_for": "email_layout",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
