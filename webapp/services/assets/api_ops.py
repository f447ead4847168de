"""The AI endpoints' work (POST /api/v1/ai/generate, /variations, /optimize): a library
template or a custom prompt with variables, answered by OpenAI when configured and
affordable, else by the built-in writer; every answer with its tokens and cost, counted
against the workspace's monthly AI budget (AiCall rows, through `complete_json`) and kept
as a Generation. Call with no transaction open (see complete_json)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import AiCall, Generation, Organization
from webapp.services.ai import ai_settings_for, complete_json
from webapp.services.assets import extras, prompts
from webapp.services.assets.manage import check_options
from webapp.services.assets.produce import SYSTEM, say_fallback
from webapp.services.assets.texts import text_of
from webapp.services.assets.writer import write_text
from webapp.services.marketing import Brief, brief_for

ANSWER = {
    "type": "object",
    "required": ["content"],
    "properties": {
        "content": {"type": "string", "minLength": 1},
        "suggestions": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
    },
}
MAX_PROMPT = 8000
OVERRIDES = {
    "business_name": "business_name",
    "product": "description",
    "product_name": "description",
    "audience": "audience",
    "location": "location",
    "offer": "offer",
}


class AiUnavailable(Exception):
    """A custom prompt that only OpenAI can answer, and OpenAI did not."""


@dataclass
class AiAnswer:
    content: str
    provider: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal("0")
    fallback_reason: str | None = None
    suggestions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    template: str | None = None


def _brief(session: Session, org: Organization, variables: dict, language: str | None) -> Brief:
    brief = brief_for(session, org)
    changes = {
        target: str(variables[name]) for name, target in OVERRIDES.items() if variables.get(name)
    }
    if language:
        changes["language"] = language
    return replace(brief, **changes)


def _builtin(template: prompts.Template | None, brief: Brief, variables: dict, variation: int):
    """The built-in writer's answer for a template, or None (a custom prompt)."""
    if template is None:
        return None
    category = template.category
    if category == "email-subject-lines":
        lines = extras.subject_lines(brief, variation)
        return {"content": "\n".join(lines), "suggestions": lines}
    if category == "blog-outline":
        return {
            "content": extras.blog_outline(
                brief, str(variables["topic"]), str(variables.get("keywords", "")), variation
            ),
            "suggestions": [],
        }
    if category == "product-announcement":
        category, variables = (
            "social_post",
            {**variables, "platform": str(variables.get("platform", "linkedin")).lower()},
        )
    if category not in prompts.ASSET_TEMPLATES:
        return None
    options = {k: variables[k] for k in ("platform", "network", "length", "size") if k in variables}
    options = check_options(category, options)
    if variables.get("max_length"):
        options["max_length"] = int(variables["max_length"])
    data = write_text(brief, category, options, variation)
    return {"content": text_of(category, data), "suggestions": data.get("hashtags", [])}


def _calls_after(session: Session, org_id: int, after: int) -> list[AiCall]:
    return list(session.scalars(select(AiCall).where(AiCall.org_id == org_id, AiCall.id > after)))


def generate(
    session: Session,
    org: Organization,
    *,
    template_name: str | None,
    prompt: str | None,
    variables: dict,
    language: str | None,
    now: datetime,
    variation: int = 0,
    action: str = "generate",
) -> AiAnswer:
    """Raises PromptError naming the field, AiUnavailable when nobody can answer."""
    if bool(template_name) == bool(prompt):
        raise prompts.PromptError("give either a template or a prompt", "template")
    template = None
    if template_name:
        template = prompts.find_template(session, org.id, template_name)
        if template is None:
            raise prompts.PromptError(f"no template named {template_name!r}", "template")
        text = prompts.render(template, variables)
    else:
        text = str(prompt).strip()
        if len(text) > MAX_PROMPT:
            raise prompts.PromptError(f"at most {MAX_PROMPT} characters", "prompt")
    brief = _brief(session, org, variables, language)
    try:
        offline = _builtin(template, brief, variables, variation)
    except (ValueError, prompts.PromptError) as exc:
        raise prompts.PromptError(str(exc), "variables") from None
    if offline is None and not ai_settings_for(org.id).api_key:
        raise prompts.PromptError(
            "a custom prompt needs an OpenAI key (Settings → Integrations); the built-in writer works from the library's templates",
            "prompt",
        )
    tuning = (
        {"temperature": float(template.temperature), "max_completion_tokens": template.max_tokens}
        if template
        else None
    )
    if variation:
        text += f"\n\nThis is variation {variation + 1}: make it clearly different."
    return _ask(
        session,
        org.id,
        text,
        brief.language,
        offline,
        now,
        action=action,
        tuning=tuning,
        template=template,
    )


def _ask(
    session, org_id, text, language, offline, now, *, action, tuning=None, template=None
) -> AiAnswer:
    after = (
        session.scalar(
            select(AiCall.id).where(AiCall.org_id == org_id).order_by(AiCall.id.desc()).limit(1)
        )
        or 0
    )

    def builtin() -> dict:
        if offline is None:
            raise AiUnavailable(
                "OpenAI did not answer and the built-in writer cannot answer a custom prompt"
            )
        return offline

    try:
        result = complete_json(
            session,
            org_id,
            purpose=f"ai_{action}",
            system=SYSTEM.get(language, SYSTEM["en"]),
            prompt=text,
            schema=ANSWER,
            builtin=builtin,
            now=now,
            tuning=tuning,
        )
    except AiUnavailable:
        session.flush()
        raise
    calls = _calls_after(session, org_id, after)
    answer = AiAnswer(
        content=result.data["content"],
        provider=result.provider,
        model=result.model,
        tokens_in=sum(c.tokens_in for c in calls),
        tokens_out=sum(c.tokens_out for c in calls),
        cost_usd=sum((c.cost_usd for c in calls), Decimal("0")),
        fallback_reason=result.fallback_reason,
        suggestions=list(result.data.get("suggestions") or []),
        template=template.name if template else None,
    )
    _keep(session, org_id, answer, calls, action, template, now)
    return answer


def _keep(session, org_id, answer: AiAnswer, calls: list[AiCall], action, template, now) -> None:
    """The answer's Generation row (its calls' sums; the AiCall rows stay the ledger)."""
    session.add(
        Generation(
            org_id=org_id,
            ai_call_id=calls[-1].id if calls else None,
            prompt_template_id=template.id if template else None,
            action=action,
            provider=answer.provider,
            model=answer.model,
            tokens_in=answer.tokens_in,
            tokens_out=answer.tokens_out,
            cost_usd=answer.cost_usd,
            latency_ms=sum(c.latency_ms for c in calls),
            ok=all(c.ok for c in calls),
            fallback_reason=answer.fallback_reason,
            created_at=now,
        )
    )
    session.flush()


def optimize(
    session: Session,
    org: Organization,
    *,
    content: str,
    goal: str,
    language: str | None,
    now: datetime,
) -> AiAnswer:
    if goal not in extras.GOALS:
        raise prompts.PromptError("one of " + ", ".join(extras.GOALS), "goal")
    content = str(content or "").strip()
    if not content or len(content) > MAX_PROMPT:
        raise prompts.PromptError(
            f"give the text to rewrite (at most {MAX_PROMPT} characters)", "content"
        )
    language = language or brief_for(session, org).language
    rewritten, notes = extras.optimize(content, goal, language)
    goal_words = {
        "shorter": "shorter",
        "more_urgent": "more urgent",
        "friendlier": "friendlier",
        "sms": f"one SMS of at most {extras.SMS_MAX} characters",
    }[goal]
    prompt = f"Rewrite this marketing text to be {goal_words}, in the same language, keeping every fact:\n\n{content}"
    answer = _ask(
        session,
        org.id,
        prompt,
        language,
        {"content": rewritten, "suggestions": []},
        now,
        action="optimize",
    )
    if goal == "sms" and answer.provider == "openai" and len(answer.content) > extras.SMS_MAX:
        reason = f"OpenAI's SMS has {len(answer.content)} characters, more than {extras.SMS_MAX}"
        say_fallback(session, org.id, "sms", answer.model, reason, now)
        answer.content, answer.provider, answer.fallback_reason = rewritten, "builtin", reason
    answer.notes = notes if answer.provider == "builtin" else []
    return answer
