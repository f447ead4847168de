"""The prompt templates library: built-in templates (product announcement, email subject
lines, blog outline, one per asset type) and each workspace's own, with declared
variables, model, temperature and max tokens.

Rendering is plain substitution of `{{name}}` by the given value, once, left to right: a
value is text and is never read again as a template, and nothing else in a body means
anything (no expressions, no attribute access, no Jinja). A body using a name it does not
declare is refused when saved; rendering with a missing or an unknown variable is refused
naming the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import PromptTemplate

ASSET_TEMPLATES = (
    "email_sequence",
    "social_post",
    "ad_creative",
    "video_script",
    "voice_ad",
    "image",
)
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,79}$")
MAX_BODY, MAX_VALUE, MAX_VARIABLES = 8000, 4000, 20


class PromptError(DomainError):
    """A template or its rendering refused; `field` names what is at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Template:
    name: str
    category: str  # an asset type, a built-in's own name, or "custom"
    body: str
    variables: tuple[str, ...]
    model: str = ""  # "" → the workspace's OpenAI model
    temperature: Decimal = Decimal("0.70")
    max_tokens: int = 500
    builtin: bool = True
    id: int | None = None


def _t(
    name: str, category: str, body: str, temperature: str = "0.70", tokens: int = 500
) -> Template:
    return Template(
        name,
        category,
        body.strip(),
        tuple(dict.fromkeys(VARIABLE.findall(body))),
        "",
        Decimal(temperature),
        tokens,
    )


BUILTIN = {
    t.name: t
    for t in (
        _t(
            "product-announcement",
            "product-announcement",
            """
Create an engaging social media post announcing our new product: {{product_name}}.
Business: {{business_name}}. Price: {{price}}. Key features: {{features}}.
Target audience: {{audience}}. Tone: {{tone}}. Platform: {{platform}}.
Include an attention-grabbing opening, the key benefits, a call to action and relevant
hashtags. Maximum length: {{max_length}} characters.""",
            tokens=400,
        ),
        _t(
            "email-subject-lines",
            "email-subject-lines",
            """
Generate 5 compelling email subject lines for: {{email_purpose}} (from {{business_name}}).
Target audience: {{audience}}. Tone: {{tone}}. Goal: {{goal}}.
Each at most 60 characters; create curiosity or urgency honestly; avoid spam triggers.""",
            "0.90",
            200,
        ),
        _t(
            "blog-outline",
            "blog-outline",
            """
Create a detailed blog post outline for: {{topic}}, written for {{business_name}}.
Target keywords: {{keywords}}. Word count: {{word_count}}. Audience level: {{audience_level}}.
Include an engaging title, an introduction hook, 5-7 main sections with subsections, a
conclusion with a call to action and a meta description of at most 160 characters.""",
            tokens=900,
        ),
        _t(
            "email-sequence",
            "email_sequence",
            """
Write a sequence of 3 to 4 marketing emails for {{business_name}} ({{product}}) aimed at
{{audience}} in {{location}}. Campaign goal: {{objective}}. Offer: {{offer}}.
Each email: a subject of at most 60 characters, a preheader of at most 100, a plain body
greeting the contact by first name, and a clear call to action.""",
            tokens=1500,
        ),
        _t(
            "social-post",
            "social_post",
            """
Write a {{platform}} post for {{business_name}} ({{product}}) for {{audience}} in
{{location}}. Offer: {{offer}}. Keep within the platform's limit; end with 2-10 hashtags
and suggest an image.""",
            tokens=500,
        ),
        _t(
            "ad-creative",
            "ad_creative",
            """
Write a Google responsive search ad for {{business_name}} ({{product}}) in {{location}}:
up to 15 headlines of at most 30 characters, up to 4 descriptions of at most 90, two
paths of at most 15. Offer: {{offer}}.""",
            tokens=700,
        ),
        _t(
            "video-script",
            "video_script",
            """
Write a {{length}}-second video script for {{business_name}} ({{product}}) aimed at
{{audience}}: scenes whose seconds add up to exactly {{length}}, each with what the camera
shows, on-screen text and voice-over.""",
            tokens=800,
        ),
        _t(
            "voice-ad",
            "voice_ad",
            """
Write a {{length}}-second radio ad script for {{business_name}} ({{product}}) in
{{location}}, about 2.5 spoken words per second, ending with the call to action.
Offer: {{offer}}.""",
            tokens=500,
        ),
        _t(
            "image",
            "image",
            """
Write the text of a banner for {{business_name}} ({{product}}): a headline of at most 60
characters, a sub-line of at most 120 and a call to action of at most 24. Offer: {{offer}}.""",
            tokens=200,
        ),
    )
}


def render(template: Template, values: dict) -> str:
    """The template's body with each `{{name}}` replaced by its value (text, used once).
    Raises PromptError for an unknown or a missing variable, or a value that is not text."""
    declared = set(template.variables)
    for name in values:
        if name not in declared:
            raise PromptError(f"{template.name} has no variable {name!r}", f"variables.{name}")
    for name in template.variables:
        value = values.get(name)
        if (
            not isinstance(value, str | int | float)
            or isinstance(value, bool)
            or not str(value).strip()
        ):
            raise PromptError(f"give {name!r} a value", f"variables.{name}")
        if len(str(value)) > MAX_VALUE:
            raise PromptError(
                f"{name!r} is longer than {MAX_VALUE} characters", f"variables.{name}"
            )
    return VARIABLE.sub(lambda m: str(values[m.group(1)]), template.body)


def of_row(row: PromptTemplate) -> Template:
    return Template(
        row.name,
        row.category,
        row.body,
        tuple(row.variables or ()),
        row.model or "",
        Decimal(row.temperature),
        int(row.max_tokens),
        False,
        row.id,
    )


def list_templates(session: Session, org_id: int) -> list[Template]:
    """The built-in templates, then the workspace's own by name."""
    own = session.scalars(
        select(PromptTemplate).where(PromptTemplate.org_id == org_id).order_by(PromptTemplate.name)
    )
    return [*BUILTIN.values(), *(of_row(r) for r in own)]


def find_template(session: Session, org_id: int, name: str) -> Template | None:
    if name in BUILTIN:
        return BUILTIN[name]
    row = session.scalars(
        select(PromptTemplate).where(PromptTemplate.org_id == org_id, PromptTemplate.name == name)
    ).one_or_none()
    return of_row(row) if row else None


def create_template(
    session: Session, org_id: int, data: dict, *, actor_id: int | None, now: datetime
) -> Template:
    """A workspace template from {name, body, variables, category?, model?, temperature?,
    max_tokens?}. Raises PromptError naming the field at fault."""
    name = str(data.get("name") or "").strip().lower()
    if not NAME.match(name):
        raise PromptError("use 2-80 lower-case letters, digits, - or _", "name")
    if name in BUILTIN or find_template(session, org_id, name):
        raise PromptError("a template with this name exists", "name")
    body = str(data.get("body") or "").strip()
    if not body or len(body) > MAX_BODY:
        raise PromptError(f"write the prompt (at most {MAX_BODY} characters)", "body")
    variables = data.get("variables") or []
    if not isinstance(variables, list) or not all(
        isinstance(v, str) and VARIABLE.fullmatch("{{" + v + "}}") for v in variables
    ):
        raise PromptError("a list of names (letters, digits, _)", "variables")
    if len(variables) > MAX_VARIABLES:
        raise PromptError(f"at most {MAX_VARIABLES} variables", "variables")
    used = set(VARIABLE.findall(body))
    undeclared = sorted(used - set(variables))
    if undeclared:
        raise PromptError(f"the body uses {{{{{undeclared[0]}}}}}, which is not declared", "body")
    temperature, max_tokens = _numbers(data)
    row = PromptTemplate(
        org_id=org_id,
        name=name,
        category=str(data.get("category") or "custom")[:40],
        body=body,
        variables=list(dict.fromkeys(variables)),
        model=str(data.get("model") or "")[:80],
        temperature=temperature,
        max_tokens=max_tokens,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return of_row(row)


def _numbers(data: dict) -> tuple[Decimal, int]:
    try:
        temperature = Decimal(str(data.get("temperature", "0.7")))
    except InvalidOperation:
        raise PromptError("a number from 0 to 2", "temperature") from None
    if not Decimal(0) <= temperature <= Decimal(2):
        raise PromptError("a number from 0 to 2", "temperature")
    max_tokens = data.get("max_tokens", 500)
    if (
        not isinstance(max_tokens, int)
        or isinstance(max_tokens, bool)
        or not 1 <= max_tokens <= 4000
    ):
        raise PromptError("a whole number from 1 to 4000", "max_tokens")
    return temperature.quantize(Decimal("0.01")), max_tokens
