"""What OpenAI must answer for each asset type (JSON Schema for `complete_json`), and the
prompt it is asked with, built from the built-in prompt template of the type and the
Brief. An answer that fits the schema is still checked against the platform limits
(limits.problems_of) before it is used."""

from __future__ import annotations

from webapp.services.assets import prompts
from webapp.services.assets.limits import EMAIL, GOOGLE, META, POST_LIMITS
from webapp.services.marketing import Brief

S = {"type": "string", "minLength": 1}


def _s(max_length: int) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def _object(**props: dict) -> dict:
    return {"type": "object", "required": list(props), "properties": props}


def schema_for(asset_type: str, options: dict) -> dict:
    if asset_type == "email_sequence":
        email = _object(
            day={"type": "integer", "minimum": 0, "maximum": 60},
            subject=_s(EMAIL["subject"]),
            preheader=_s(EMAIL["preheader"]),
            body=S,
        )
        return _object(emails={"type": "array", "minItems": 3, "maxItems": 4, "items": email})
    if asset_type == "social_post":
        limit = POST_LIMITS[options.get("platform") or "linkedin"]
        return _object(
            text=_s(limit * 2),  # X weighs characters: limits.py checks the real count
            hashtags={"type": "array", "items": S, "maxItems": 30},
            image_suggestion=S,
        )
    if asset_type == "ad_creative":
        if options.get("network") == "meta":
            return _object(
                primary_text=_s(META["primary_text"]),
                headline=_s(META["headline"]),
                description=_s(META["description"]),
            )
        return _object(
            headlines={
                "type": "array",
                "minItems": 3,
                "maxItems": 15,
                "items": _s(GOOGLE["headline"]),
            },
            descriptions={
                "type": "array",
                "minItems": 2,
                "maxItems": 4,
                "items": _s(GOOGLE["description"]),
            },
            path1={"type": "string", "maxLength": GOOGLE["path"]},
            path2={"type": "string", "maxLength": GOOGLE["path"]},
        )
    if asset_type == "video_script":
        scene = _object(
            seconds={"type": "integer", "minimum": 1}, visual=S, on_screen=S, voice_over=S
        )
        return _object(scenes={"type": "array", "minItems": 2, "maxItems": 8, "items": scene})
    if asset_type == "voice_ad":
        return _object(script=S)
    return _object(headline=_s(60), subline=_s(120), cta=_s(24))


SYSTEM = {
    "en": "You write marketing copy for a small business. Write in English, concretely, "
    "about this business only; never invent facts, prices or reviews.",
    "de": "Du schreibst Marketingtexte für ein kleines Unternehmen. Schreibe auf Deutsch in "
    "der Sie-Form, konkret und nur über dieses Unternehmen; erfinde keine Fakten, Preise "
    "oder Bewertungen.",
}
TEMPLATE_OF = {
    "email_sequence": "email-sequence",
    "social_post": "social-post",
    "ad_creative": "ad-creative",
    "video_script": "video-script",
    "voice_ad": "voice-ad",
    "image": "image",
}


def variables_of(brief: Brief, options: dict) -> dict[str, str]:
    """The Brief (and the asset's options) as template variables; "not given" for a fact
    the owner never filled, so the model is told rather than left to guess."""
    missing = "not given" if brief.language != "de" else "nicht angegeben"
    return {
        "business_name": brief.business_name,
        "product": brief.description or missing,
        "audience": brief.audience or missing,
        "location": brief.location or missing,
        "offer": brief.offer or missing,
        "objective": brief.objective or missing,
        "platform": options.get("platform") or "linkedin",
        "length": str(options.get("length") or 30),
    }


def prompt_for(brief: Brief, asset_type: str, options: dict, variation: int) -> str:
    template = prompts.BUILTIN[TEMPLATE_OF[asset_type]]
    values = variables_of(brief, options)
    text = prompts.render(template, {k: values[k] for k in template.variables})
    extra = [
        f"Value proposition: {brief.value_proposition}" if brief.value_proposition else "",
        f"Tone: {brief.tone}" if brief.tone else "",
        f"Website: {brief.website}" if brief.website else "",
        f"This is variation {variation + 1} of 3: make it clearly different from the others.",
    ]
    return "\n".join([text, *(line for line in extra if line)])
