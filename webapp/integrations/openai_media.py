"""OpenAI pictures and speech through the `openai` client: one POST each, no retries
(`max_retries=0`), errors classified like the chat adapter's (`integrations.openai`).
Settings are passed in; the budget, the records and the offline fallback (Pillow,
espeak-ng) are the assets service's business."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

from webapp.integrations.openai import (
    REASONS,
    AiSettings,
    _scrub,
    classify_openai_error,
    client_for,
)

IMAGE_SIZES = {"landscape": "1536x1024", "square": "1024x1024", "portrait": "1024x1536"}
DALL_E_SIZES = {"landscape": "1792x1024", "square": "1024x1024", "portrait": "1024x1792"}
SPEECH_VOICES = ("alloy", "echo", "fable", "onyx", "nova", "shimmer")


@dataclass(frozen=True)
class MediaAnswer:
    data: bytes | None  # the PNG or WAV, None on failure
    latency_ms: int
    error: str | None = None  # "<CLASS>: detail" for the AiCall row
    reason: str | None = None  # in words, for the activity log


def _failed(exc: Exception, started: float, settings: AiSettings) -> MediaAnswer:
    import openai

    if isinstance(exc, openai.OpenAIError):
        error_class = classify_openai_error(exc)
        reason = REASONS[error_class]
    else:  # an answer we cannot read (no picture, not base64)
        error_class, reason = "INVALID_OUTPUT", f"OpenAI's answer had no usable file ({exc})"
    detail = _scrub(str(exc), settings.api_key)
    return MediaAnswer(None, _ms(started), f"{error_class}: {detail}"[:1000], reason)


def create_image(settings: AiSettings, model: str, prompt: str, shape: str) -> MediaAnswer:
    """One picture for `prompt` (shape: landscape | square | portrait) as PNG bytes."""
    import openai

    started = time.monotonic()
    kwargs: dict = {"model": model, "prompt": prompt, "n": 1}
    if model.startswith("dall-e"):
        kwargs.update(size=DALL_E_SIZES[shape], response_format="b64_json")
    else:
        kwargs.update(size=IMAGE_SIZES[shape])
    try:
        response = client_for(settings).images.generate(**kwargs)
        encoded = response.data[0].b64_json if response.data else None
        if not encoded:
            raise ValueError("no b64_json picture in the answer")
        return MediaAnswer(base64.b64decode(encoded, validate=True), _ms(started))
    except (openai.OpenAIError, ValueError, TypeError) as exc:
        return _failed(exc, started, settings)


def create_speech(settings: AiSettings, model: str, text: str, voice: str = "alloy") -> MediaAnswer:
    """`text` read aloud, as WAV bytes."""
    import openai

    started = time.monotonic()
    try:
        response = client_for(settings).audio.speech.create(
            model=model, voice=voice, input=text, response_format="wav"
        )
        data = response.read()
        if not data.startswith(b"RIFF"):
            raise ValueError("the answer is not a WAV file")
        return MediaAnswer(data, _ms(started))
    except (openai.OpenAIError, ValueError, TypeError) as exc:
        return _failed(exc, started, settings)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
