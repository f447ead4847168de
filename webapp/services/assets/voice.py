"""Voice ads made offline with espeak-ng (Debian package `espeak-ng`; `make run` and
`make test` install it): a WAV of exactly the requested length. The speaking rate is set
from the script's word count so the read fills the slot; what is left is silence at the
end, as a radio slot has."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

VOICES = {"en": "en", "de": "de"}
MIN_WPM, MAX_WPM = 110, 260
TIMEOUT_SECONDS = 20
# Measured over the writer's scripts (en and de): 11.9-16.7, mean 14.6; a value near the
# low end makes a second, faster read rare at the cost of a little silence at the end.
CHARS_PER_SECOND_AT_175 = 13.0


class VoiceUnavailable(RuntimeError):
    """espeak-ng is not installed (the page says how to install it)."""


def espeak_path() -> str:
    path = shutil.which("espeak-ng")
    if not path:
        raise VoiceUnavailable(
            "espeak-ng is not installed: run `apt-get install -y espeak-ng` (make run does it as root)"
        )
    return path


def _speak(text: str, language: str, wpm: int) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "voice.wav"
        subprocess.run(
            [
                espeak_path(),
                "-v",
                VOICES.get(language, "en"),
                "-s",
                str(wpm),
                "-w",
                str(target),
                "--",
                text,
            ],
            check=True,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
        )
        return target.read_bytes()


def duration(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def speak(text: str, language: str, seconds: int) -> bytes:
    """A WAV of `text` read to last about `seconds`: the rate comes from the text's length
    (espeak-ng reads about CHARS_PER_SECOND_AT_175 characters a second at 175 words a
    minute, a little more for most texts), so one read usually fits; one that runs over is
    read again faster."""
    wanted = len(text) / (seconds * 0.95)  # characters a second
    wpm = int(min(MAX_WPM, max(MIN_WPM, 175 * wanted / CHARS_PER_SECOND_AT_175)))
    data = _speak(text, language, wpm)
    spoken = duration(data)
    if spoken > seconds:
        wpm = int(min(MAX_WPM, wpm * spoken / seconds * 1.04))
        data = _speak(text, language, wpm)
    return fit_to(data, seconds)


def fit_to(data: bytes, seconds: int) -> bytes:
    """The WAV padded with silence to `seconds` (a read that runs over is kept whole)."""
    with wave.open(io.BytesIO(data)) as w:
        params, frames = w.getparams(), w.readframes(w.getnframes())
    frame_size = params.sampwidth * params.nchannels
    wanted = seconds * params.framerate * frame_size
    frames += b"\x00" * max(0, wanted - len(frames))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(params.nchannels)
        w.setsampwidth(params.sampwidth)
        w.setframerate(params.framerate)
        w.writeframes(frames)
    return out.getvalue()
