"""An email of a sequence asset as a message a mail client shows well: the workspace's
email frame (services/marketing/email_layout: responsive tables in the brand's colours,
CSS inlined by `css-inline`) around the body, whose closing link becomes a button, and the
plain-text part. `{{firstName|there}}` placeholders stay for the sequence to fill; the
preview shows their fallback. A sequence made from the asset sends this same HTML (the
dispatcher frames each step of it the same way, with the contact's values escaped)."""

from __future__ import annotations

import re

from webapp.services.marketing import Brief, LayoutBrand, body_html, compile_layout

PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_.]*\s*(?:\|([^{}]*))?\}\}")


def preview_text(text: str) -> str:
    """The text with each placeholder's fallback, as a contact without the field sees it."""
    return PLACEHOLDER.sub(lambda m: (m.group(1) or "").strip(), text)


def render_html(email: dict, brief: Brief) -> str:
    """The email as HTML with every style inlined (the @media rule stays in the head)."""
    brand = LayoutBrand(
        business_name=brief.business_name,
        primary=brief.primary_color,
        accent=brief.accent_color,
        language=brief.language or "en",
        website=brief.website or "",
    )
    return compile_layout(brand).wrap(
        body_html(email.get("body") or "", button=True),
        subject=email.get("subject", ""),
        preheader=email.get("preheader", ""),
    )


def render_text(email: dict, *, footer: str = "") -> str:
    """The plain-text part: the body as written, then the footer."""
    text = (email.get("body") or "").strip()
    return f"{text}\n\n--\n{footer}" if footer else text
