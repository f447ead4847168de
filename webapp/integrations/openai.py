"""OpenAI: one structured (JSON) answer through the `openai` client (DESIGN invariant 5).

`ask_json` asks for a JSON object matching a schema, validates it against a small
JSON-Schema subset, retries an invalid answer once, and reports every attempt (tokens,
latency, error class) so the AI service can record and price it. The client's own retries
are off (`max_retries=0`): one call here is one POST. Settings, with the workspace's own key
when it has one, are passed in; the budget, the AiCall rows and the built-in fallback are
the AI service's business (`webapp.services.ai`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from webapp.integrations.resilience import IntegrationError, ProbeFailed

if TYPE_CHECKING:
    import openai

# `openai` is imported in the functions that call it: the client is 47 MB of memory that
# every process (a mail worker, a page) would carry while no key is set.
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_SECONDS = 30

# Error classes (shared vocabulary with the resilience layer), kept in AiCall.error.
THIRD_PARTY_AUTH_FAILED = "THIRD_PARTY_AUTH_FAILED"
RATE_LIMITED = "RATE_LIMITED"
TRANSIENT_NETWORK = "TRANSIENT_NETWORK"
CONFIGURATION_ERROR = "CONFIGURATION_ERROR"
INVALID_OUTPUT = "INVALID_OUTPUT"

REASONS = {
    THIRD_PARTY_AUTH_FAILED: "OpenAI refused the API key; check OPENAI_API_KEY",
    RATE_LIMITED: "OpenAI is rate-limiting this API key; it will be tried again on the next call",
    TRANSIENT_NETWORK: "OpenAI could not be reached (timeout, connection or server error)",
    CONFIGURATION_ERROR: "OpenAI rejected the request; check OPENAI_MODEL and OPENAI_BASE_URL",
}


@dataclass(frozen=True)
class AiSettings:
    api_key: str | None
    base_url: str | None
    model: str
    timeout: float


# --- schema validation (a small JSON-Schema subset) -----------------------------------------


class SchemaError(ValueError):
    """A value does not match its schema; the message lists the problems."""


_TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "null": lambda v: v is None,
}


def schema_errors(value: object, schema: Mapping, path: str = "$") -> list[str]:
    """Every way `value` breaks `schema` (type, properties, required, items, enum, minimum,
    maximum, minItems, maxItems, minLength, maxLength), as readable strings."""
    expected = schema.get("type")
    if expected is not None:
        kinds = expected if isinstance(expected, list) else [expected]
        if not any(_TYPES[k](value) for k in kinds):
            return [f"{path} should be {' or '.join(kinds)}, got {type(value).__name__}"]
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path} should be one of {', '.join(map(str, schema['enum']))}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path} should be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path} should be at most {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value.strip()) < schema["minLength"]:
            problems.append(f"{path} should have at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{path} should have at most {schema['maxLength']} characters")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{path}.{name} is missing")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems.extend(schema_errors(value[name], sub, f"{path}.{name}"))
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append(f"{path} should have at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{path} should have at most {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                problems.extend(schema_errors(item, schema["items"], f"{path}[{i}]"))
    return problems


def validate(value: object, schema: Mapping) -> None:
    """Raise SchemaError naming the first few problems when `value` does not match."""
    problems = schema_errors(value, schema)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise SchemaError("; ".join(problems[:5]) + more)


# --- settings ------------------------------------------------------------------------------


def ai_settings(own: Mapping[str, str] | None, config: Mapping) -> AiSettings:
    """The AI settings: the workspace's own OpenAI key (`own`, Settings → Integrations) when
    it has one, else the deployment's OPENAI_* settings in `config`, else the defaults."""
    model = config.get("OPENAI_MODEL") or DEFAULT_MODEL
    timeout = float(config.get("OPENAI_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)
    if own:
        return AiSettings(
            api_key=own["api_key"],
            base_url=own.get("base_url") or None,
            model=own.get("model") or model,
            timeout=timeout,
        )
    return AiSettings(
        api_key=config.get("OPENAI_API_KEY") or None,
        base_url=config.get("OPENAI_BASE_URL") or None,
        model=model,
        timeout=timeout,
    )


def classify_openai_error(exc: BaseException) -> str:
    """The error class of an exception raised by the `openai` client."""
    import openai

    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return TRANSIENT_NETWORK
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (401, 403):
            return THIRD_PARTY_AUTH_FAILED
        if status == 429:
            return RATE_LIMITED
        if status >= 500 or status == 408:
            return TRANSIENT_NETWORK
    return CONFIGURATION_ERROR


# --- the call ------------------------------------------------------------------------------


@dataclass
class Attempt:
    """One POST to OpenAI: whether it gave a valid answer, its latency, tokens and error."""

    ok: bool
    latency_ms: int
    tokens_in: int = 0
    tokens_out: int = 0
    error: str | None = None


@dataclass
class Outcome:
    """The answer (None when there is none), why not in words, and every attempt made."""

    data: dict | None = None
    reason: str | None = None
    error_class: str | None = None
    attempts: list[Attempt] = field(default_factory=list)


def client_for(settings: AiSettings) -> openai.OpenAI:
    """The `openai` client for these settings, with no retries of its own (ours are explicit)."""
    import openai

    kwargs: dict = {"api_key": settings.api_key, "timeout": settings.timeout, "max_retries": 0}
    if settings.base_url:
        kwargs["base_url"] = settings.base_url
    return openai.OpenAI(**kwargs)


def ask_json(
    settings: AiSettings, system: str, prompt: str, schema: dict, tuning: Mapping | None = None
) -> Outcome:
    """A JSON object matching `schema`, in up to two attempts: the second only when the first
    answer was invalid (`tuning`: a template's temperature, max_completion_tokens). Never
    raises for OpenAI's errors: they are classified in the Outcome."""
    import openai

    client = client_for(settings)
    instructions = (
        f"{system}\n\nAnswer with one JSON object, and nothing else, that matches this JSON Schema:\n"
        f"{json.dumps(schema, separators=(',', ':'))}"
    )
    messages = [{"role": "system", "content": instructions}, {"role": "user", "content": prompt}]
    request = dict(tuning or {}, model=settings.model, response_format={"type": "json_object"})
    outcome = Outcome()
    for attempt in (1, 2):
        started = time.monotonic()
        try:
            response = client.chat.completions.create(messages=messages, **request)
        except openai.OpenAIError as exc:
            error_class = classify_openai_error(exc)
            detail = _scrub(str(exc), settings.api_key)
            outcome.attempts.append(
                Attempt(False, _ms(started), error=f"{error_class}: {detail}"[:1000])
            )
            outcome.reason, outcome.error_class = REASONS[error_class], error_class
            return outcome
        usage = response.usage
        tokens = (
            getattr(usage, "prompt_tokens", 0) or 0,
            getattr(usage, "completion_tokens", 0) or 0,
        )
        text = response.choices[0].message.content if response.choices else None
        try:
            data = json.loads(text or "")
            validate(data, schema)
        except (ValueError, TypeError) as exc:
            problem = str(exc) if isinstance(exc, SchemaError) else f"not JSON ({exc})"
            outcome.attempts.append(
                Attempt(False, _ms(started), *tokens, f"{INVALID_OUTPUT}: {problem}"[:1000])
            )
            if attempt == 1:
                messages += [
                    {"role": "assistant", "content": text or ""},
                    {
                        "role": "user",
                        "content": f"That answer was not valid: {problem}. "
                        "Reply again with only a JSON object that matches the schema.",
                    },
                ]
                continue
            outcome.reason = f"OpenAI's answer did not match the expected format twice ({problem})"
            outcome.error_class = INVALID_OUTPUT
            return outcome
        outcome.attempts.append(Attempt(True, _ms(started), *tokens))
        outcome.data = data
        return outcome
    return outcome  # pragma: no cover (the loop always returns)


def probe(s: AiSettings) -> tuple[str, int, int]:
    """A one-word chat completion (no retries). Returns (what worked, tokens in, tokens out);
    raises ProbeFailed."""
    import openai

    try:
        response = client_for(s).chat.completions.create(
            model=s.model,
            messages=[{"role": "user", "content": "Reply with the word OK."}],
            max_completion_tokens=5,
        )
    except openai.OpenAIError as exc:
        error_class = classify_openai_error(exc)
        raise ProbeFailed(
            f"asking {s.model} a one-word question", [], IntegrationError(str(exc), error_class)
        ) from exc
    usage = response.usage
    where = f" at {s.base_url}" if s.base_url else ""
    return (
        f"OpenAI answered{where} with model {s.model}.",
        getattr(usage, "prompt_tokens", 0) or 0,
        getattr(usage, "completion_tokens", 0) or 0,
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _scrub(text: str, secret: str | None) -> str:
    """Never let the API key reach a log, a row or a page."""
    return text.replace(secret, "***") if secret else text
