"""The built-in (offline) writer: one variation of an asset from a Brief, with no key and
no network. Text comes from the phrase banks (write_mail, write_media), chosen by a
picker seeded with the campaign, the asset type, its options, the variation and the
regeneration round, so variations differ and a campaign reads the same twice. Audio
comes from espeak-ng and banners from Pillow."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.services.assets import banner, voice
from webapp.services.assets.facts import Picker
from webapp.services.assets.write_mail import email_sequence, voice_script
from webapp.services.assets.write_media import ad_creative, banner_lines, social_post, video_script
from webapp.services.marketing import Brief

TEXT_WRITERS = {
    "email_sequence": email_sequence,
    "social_post": social_post,
    "ad_creative": ad_creative,
    "video_script": video_script,
    "voice_ad": voice_script,
    "image": banner_lines,
}


@dataclass(frozen=True)
class Written:
    content: dict
    file: bytes | None = None
    mime: str | None = None


def seed_of(brief: Brief, asset_type: str, options: dict, round_: int) -> str:
    settings = ",".join(f"{k}={options[k]}" for k in sorted(options))
    return f"{brief.business_name}|{brief.campaign_id}|{brief.campaign_type}|{asset_type}|{settings}|{round_}"


def write_text(
    brief: Brief, asset_type: str, options: dict, variation: int, round_: int = 0
) -> dict:
    """One variation's content (text only: scripts, lines, posts)."""
    picker = Picker(seed_of(brief, asset_type, options, round_), variation)
    return TEXT_WRITERS[asset_type](brief, options, picker)


def make_file(
    asset_type: str,
    content: dict,
    brief: Brief,
    logo: bytes | None,
    background: bytes | None = None,
) -> tuple[bytes | None, str | None]:
    """The file a variation carries: the voice ad's WAV, the banner's PNG, else none."""
    if asset_type == "voice_ad":
        return voice.speak(content["script"], brief.language, int(content["length"])), "audio/wav"
    if asset_type == "image":
        png = banner.render(
            content, content["size"], brief.primary_color, brief.accent_color, logo, background
        )
        return png, "image/png"
    return None, None


def write_offline(
    brief: Brief,
    asset_type: str,
    options: dict,
    variation: int,
    round_: int = 0,
    logo: bytes | None = None,
) -> Written:
    content = write_text(brief, asset_type, options, variation, round_)
    data, mime = make_file(asset_type, content, brief, logo)
    return Written(content, data, mime)
