"""Message templates: safe `{{variable}}` substitution, never execution (DESIGN invariant 8).

A template is plain text with placeholders: `{{firstName}}`, `{{customerName}}`,
`{{companyName}}`, and fallbacks such as `{{firstName|there}}` (used when the value is
empty). Unknown variables render empty (or their fallback). Nothing else is interpreted:
no expressions, no attribute access, no filters — a placeholder is a name and a literal.
Templates are parsed once and cached, so rendering 20,000 messages is a join of strings.

HTML is made from the rendered text (escaped, links made clickable, paragraphs kept), so a
contact's name can never inject markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from markupsafe import Markup

# A name (letters, digits, _ and .) and an optional literal fallback after "|".
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|([^{}]*))?\}\}")
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")

VARIABLES = {
    "customerName": "The contact's full name",
    "firstName": "The contact's first name",
    "lastName": "The contact's last name",
    "email": "The contact's email address",
    "phone": "The contact's phone number",
    "contactCompany": "The contact's company",
    "companyName": "Your workspace's (business) name",
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str | None  # None for SMS and WhatsApp


@lru_cache(maxsize=2048)
def compile_template(template: str) -> tuple[tuple[str, str | None, str], ...]:
    """Split a template once into (literal, variable or None, fallback) parts."""
    parts: list[tuple[str, str | None, str]] = []
    last = 0
    for match in PLACEHOLDER.finditer(template):
        parts.append(
            (template[last : match.start()], match.group(1), (match.group(2) or "").strip())
        )
        last = match.end()
    parts.append((template[last:], None, ""))
    return tuple(parts)


def render(template: str, variables: dict) -> str:
    """Substitute `{{name}}` and `{{name|fallback}}` from `variables`; nothing is executed.

    Values are used as plain strings; unknown or empty names give their fallback or "".
    """
    if not template:
        return ""
    out: list[str] = []
    for literal, name, fallback in compile_template(template):
        out.append(literal)
        if name is not None:
            value = variables.get(name)
            value = "" if value is None else str(value).strip()
            out.append(value or fallback)
    return "".join(out)


def placeholders(template: str) -> list[str]:
    """The variable names a template uses, in order of first use."""
    seen: list[str] = []
    for _literal, name, _fallback in compile_template(template or ""):
        if name is not None and name not in seen:
            seen.append(name)
    return seen


def unknown_placeholders(template: str) -> list[str]:
    """Names used in `template` that no contact has (they would render empty)."""
    return [name for name in placeholders(template) if name not in VARIABLES]


def variables_for(lead, org) -> dict:
    """The template variables of one contact in one workspace."""
    full = (getattr(lead, "full_name", "") or "").strip()
    words = full.split()
    return {
        "customerName": full,
        "firstName": words[0] if words else "",
        "lastName": " ".join(words[1:]) if len(words) > 1 else "",
        "email": getattr(lead, "email", None) or "",
        "phone": getattr(lead, "phone", None) or "",
        "contactCompany": getattr(lead, "company", "") or "",
        "companyName": getattr(org, "name", "") or "",
    }


def text_to_html(text: str) -> str:
    """Escaped HTML paragraphs from plain text, with its web addresses made into links."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    html_parts = []
    for paragraph in paragraphs:
        html_parts.append(
            "<p>" + "<br>\n".join(_linkify(line) for line in paragraph.splitlines()) + "</p>"
        )
    return "\n".join(html_parts)


def _linkify(line: str) -> str:
    out: list[str] = []
    last = 0
    for match in URL.finditer(line):
        out.append(escape(line[last : match.start()]))
        url = escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(escape(line[last:]))
    return "".join(out)


def links_in(text: str) -> list[str]:
    """The web addresses in a rendered text, in order, without duplicates."""
    seen: list[str] = []
    for match in URL.finditer(text or ""):
        if match.group(0) not in seen:
            seen.append(match.group(0))
    return seen


def render_step(step, lead, org, *, variables: dict | None = None) -> RenderedMessage:
    """A sequence step rendered for one contact (email gets an HTML part; SMS/WhatsApp don't)."""
    values = variables if variables is not None else variables_for(lead, org)
    text = render(step.body or "", values)
    if step.channel != "email":
        return RenderedMessage(subject="", text=text, html=None)
    subject = " ".join(render(step.subject or "", values).split())
    return RenderedMessage(subject=subject, text=text, html=text_to_html(text))


def preview_html(message: RenderedMessage) -> Markup:
    """The HTML part, safe to put in a page (it was built from escaped text)."""
    return Markup(message.html or text_to_html(message.text))
