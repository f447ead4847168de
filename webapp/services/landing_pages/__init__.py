"""Landing pages: a campaign's public page built from sections (hero, benefits,
testimonials the owner fills, FAQ, lead form), its offline copy writer, publishing under
/p/<workspace>/<page>, the form into the lead inbox, and views and submissions counted
by day without cookies.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "PageFigures": "stats",
    "PageInvalid": "pages",
    "campaign_choices": "pages",
    "count_pages": "pages",
    "count_view": "stats",
    "is_bot": "stats",
    "last_days": "stats",
    "pages_of": "pages",
    "public_logo": "pages",
    "redraft": "pages",
    "set_published": "pages",
    "totals": "stats",
    "ui_text": "copy",
    "update_page": "pages",
    "create_page": "pages",
    "draft_sections": "copy",
    "page_figures": "stats",
    "published_page": "pages",
    "submit_form": "submit",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
