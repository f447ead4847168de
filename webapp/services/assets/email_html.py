"""An email of a sequence asset as a message a mail client shows well: a responsive HTML
layout in the brand's colours with its CSS inlined by `css-inline` (mail clients drop
<style> blocks; the @media rules for small screens are kept in the head), and the plain-
text part. `{{firstName|there}}` placeholders stay for the sequence to fill; the preview
shows their fallback."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

import css_inline

from webapp.services.assets.banner import readable_on, rgb
from webapp.services.marketing import Brief

PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_.]*\s*(?:\|([^{}]*))?\}\}")
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")

CSS = """
body { margin: 0; padding: 0; background: #f3f4f6; font-family: Helvetica, Arial, sans-serif; }
.wrap { width: 100%; background: #f3f4f6; padding: 24px 0; }
.card { width: 600px; max-width: 600px; margin: 0 auto; background: #ffffff; border-radius: 8px; }
.head { background: {primary}; color: {on_primary}; padding: 20px 28px; font-size: 20px;
        font-weight: bold; border-radius: 8px 8px 0 0; }
.body { padding: 24px 28px; color: #1f2937; font-size: 16px; line-height: 1.55; }
.body p { margin: 0 0 16px 0; }
.button { display: inline-block; background: {accent}; color: {on_accent}; padding: 12px 22px;
          border-radius: 6px; text-decoration: none; font-weight: bold; }
.foot { padding: 16px 28px 24px; color: #6b7280; font-size: 12px; }
.preheader { display: none; max-height: 0; overflow: hidden; }
"""
MEDIA = (
    "@media only screen and (max-width: 620px) { .card { width: 100% !important; "
    "border-radius: 0 !important; } .body, .head, .foot { padding-left: 16px !important; "
    "padding-right: 16px !important; } }"
)


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def preview_text(text: str) -> str:
    """The text with each placeholder's fallback, as a contact without the field sees it."""
    return PLACEHOLDER.sub(lambda m: (m.group(1) or "").strip(), text)


def _paragraph(block: str, accent_link: bool) -> str:
    if accent_link and (found := URL.search(block)) and block.strip().endswith(found.group(0)):
        label = block[: found.start()].strip().rstrip(":").strip() or found.group(0)
        url = escape(found.group(0))
        return f'<p><a class="button" href="{url}">{escape(label)}</a></p>'
    html = "<br>".join(escape(line) for line in block.split("\n"))
    linked = URL.sub(lambda m: '<a href="' + m.group(0) + '">' + m.group(0) + "</a>", html)
    return f"<p>{linked}</p>"


def render_html(email: dict, brief: Brief, *, footer: str = "") -> str:
    """The email as HTML with every style inlined (the @media rules stay in the head)."""
    primary, accent = rgb(brief.primary_color), rgb(brief.accent_color)
    css = (
        CSS.replace("{primary}", brief.primary_color)
        .replace("{accent}", brief.accent_color)
        .replace("{on_primary}", "#{:02x}{:02x}{:02x}".format(*readable_on(primary)))
        .replace("{on_accent}", "#{:02x}{:02x}{:02x}".format(*readable_on(accent)))
    )
    blocks = [b for b in (email.get("body") or "").split("\n\n") if b.strip()]
    body = "".join(_paragraph(b, accent_link=True) for b in blocks)
    lang = escape(brief.language or "en")
    html = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(email.get('subject', ''))}</title><style>{css}{MEDIA}</style></head>"
        f'<body><div class="preheader">{escape(email.get("preheader", ""))}</div>'
        '<div class="wrap"><div class="card">'
        f'<div class="head">{escape(brief.business_name)}</div>'
        f'<div class="body">{body}</div>'
        f'<div class="foot">{escape(footer or brief.business_name)}</div>'
        "</div></div></body></html>"
    )
    return _inliner().inline(html)


def render_text(email: dict, *, footer: str = "") -> str:
    """The plain-text part: the body as written, then the footer."""
    text = (email.get("body") or "").strip()
    return f"{text}\n\n--\n{footer}" if footer else text
