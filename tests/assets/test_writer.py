"""The offline writer: specific to the business, varied, within every limit, in English
and German, and real files (PNG of the requested size, WAV of the requested length)."""

from __future__ import annotations

import io
import re
import wave

import pytest
from PIL import Image

from tests.assets.briefs import BAECKEREI, BAKERY, BIKES, EMOJI_SHOP
from webapp.services.assets.limits import GOOGLE, META, POST_LIMITS, problems_of, x_length
from webapp.services.assets.texts import text_of
from webapp.services.assets.writer import write_offline, write_text

CASES = [
    ("email_sequence", {}),
    ("social_post", {"platform": "linkedin"}),
    ("social_post", {"platform": "x"}),
    ("social_post", {"platform": "facebook"}),
    ("social_post", {"platform": "instagram"}),
    ("ad_creative", {"network": "google"}),
    ("ad_creative", {"network": "meta"}),
    ("video_script", {"length": 15}),
    ("video_script", {"length": 30}),
    ("video_script", {"length": 60}),
    ("voice_ad", {"length": 30}),
    ("image", {"size": "1200x628"}),
]
BLANKS = re.compile(r"\{[a-z_]+\}|\bNone\b|lorem|\[\w+\]|\bTODO\b", re.IGNORECASE)


@pytest.mark.parametrize(("asset_type", "options"), CASES)
def test_two_businesses_get_different_text_naming_them(asset_type, options):
    bakery = text_of(asset_type, write_text(BAKERY, asset_type, options, 0))
    bikes = text_of(asset_type, write_text(BIKES, asset_type, options, 0))
    assert bakery != bikes
    assert "Crumb & Co" in bakery and "Spoke Street Cycles" not in bakery
    assert "Spoke Street Cycles" in bikes
    for text in (bakery, bikes):
        assert not BLANKS.search(text.replace("{{firstName|there}}", "")), text


@pytest.mark.parametrize(("asset_type", "options"), CASES)
def test_three_variations_differ_and_repeat_for_the_same_campaign(asset_type, options):
    texts = [text_of(asset_type, write_text(BAKERY, asset_type, options, v)) for v in range(3)]
    assert len(set(texts)) == 3
    assert texts[0] == text_of(asset_type, write_text(BAKERY, asset_type, options, 0))
    regenerated = text_of(asset_type, write_text(BAKERY, asset_type, options, 0, round_=1))
    assert regenerated != texts[0]


@pytest.mark.parametrize(
    "brief", [BAKERY, BIKES, BAECKEREI, EMOJI_SHOP], ids=["bakery", "bikes", "de", "emoji"]
)
@pytest.mark.parametrize(("asset_type", "options"), CASES)
def test_limits_hold_for_every_variation(brief, asset_type, options):
    for variation in range(3):
        content = write_text(brief, asset_type, options, variation)
        assert problems_of(asset_type, content) == []
        if asset_type == "social_post":
            platform = options["platform"]
            measured = x_length(content["text"]) if platform == "x" else len(content["text"])
            assert measured <= POST_LIMITS[platform]
            assert content["hashtags"] and content["image_suggestion"]
        if asset_type == "ad_creative" and options["network"] == "google":
            assert 3 <= len(content["headlines"]) <= 15
            assert all(len(h) <= GOOGLE["headline"] for h in content["headlines"])
            assert all(len(d) <= GOOGLE["description"] for d in content["descriptions"])
            assert len(content["path1"]) <= 15 and len(content["path2"]) <= 15
        if asset_type == "ad_creative" and options["network"] == "meta":
            assert all(0 < len(content[k]) <= limit for k, limit in META.items())
        if asset_type == "video_script":
            assert sum(s["seconds"] for s in content["scenes"]) == options["length"]
            assert content["scenes"][-1]["end"] == options["length"]
            assert all(s["voice_over"] and s["on_screen"] for s in content["scenes"])


def test_x_counts_weighted_characters_and_urls_as_23():
    assert x_length("hello") == 5
    assert x_length("日本") == 4  # CJK weighs 2
    assert x_length("👍🏽") == 2  # an emoji with its skin tone is one emoji
    assert x_length("👨‍👩‍👧") == 2  # a family joined by ZWJs too
    assert x_length("🇩🇪") == 2
    assert x_length("é") == 1
    long_url = "https://example.com/" + "a" * 200
    assert x_length(f"see {long_url}") == 4 + 23
    assert x_length("bakery.de rocks") == 23 + 6


def test_an_x_post_with_emoji_facts_stays_within_280_weighted():
    content = write_text(EMOJI_SHOP, "social_post", {"platform": "x"}, 1)
    assert x_length(content["text"]) <= 280
    assert len(content["text"]) > 0


GERMAN = re.compile(r"\b(Sie|Ihr|Ihre|und|wir|für|bei|Jetzt|Grüße)\b")
ENGLISH = re.compile(r"\b(the|your|with|we're|you|and|our)\b", re.IGNORECASE)


@pytest.mark.parametrize(("asset_type", "options"), CASES)
def test_german_output_is_german(asset_type, options):
    text = text_of(asset_type, write_text(BAECKEREI, asset_type, options, 0))
    plain = text.replace("{{firstName|zusammen}}", "")
    words = re.sub(r"https?://\S+|#\S+", "", plain)
    assert "Bäckerei Sonnenkorn" in text
    assert not ENGLISH.search(
        re.sub(
            r"Subject|Preheader|Day|Headlines|Descriptions|Paths|Primary text|Headline|Description|Shot|On screen|Voice-over",
            "",
            words,
        )
    ), words
    if asset_type not in ("image", "ad_creative"):
        assert GERMAN.search(words), words


@pytest.mark.parametrize("size", ["1200x628", "1080x1080", "1080x1920"])
def test_banner_png_has_the_requested_size(size):
    written = write_offline(EMOJI_SHOP, "image", {"size": size}, 0)
    assert written.mime == "image/png"
    picture = Image.open(io.BytesIO(written.file))
    assert picture.format == "PNG" and f"{picture.width}x{picture.height}" == size


def test_banner_text_never_leaves_the_picture():
    from webapp.services.assets import banner

    long = "Sourdough " * 40
    block = banner.fit(long, (800, 200), 120, True, 3)
    assert all(block.face.getlength(line) <= 800 for line in block.lines)
    word = banner.fit(
        "Donaudampfschifffahrtsgesellschaftskapitänsmütze" * 3, (300, 200), 80, True, 2
    )
    assert all(word.face.getlength(line) <= 300 for line in word.lines)


@pytest.mark.parametrize(("brief", "seconds"), [(BAKERY, 15), (BIKES, 30), (BAECKEREI, 60)])
def test_voice_ad_wav_lasts_about_the_requested_length(brief, seconds):
    written = write_offline(brief, "voice_ad", {"length": seconds}, 0)
    assert written.mime == "audio/wav"
    with wave.open(io.BytesIO(written.file)) as w:
        duration = w.getnframes() / w.getframerate()
        frames = w.readframes(w.getnframes())
    assert seconds - 0.5 <= duration <= seconds * 1.1
    spoken = len(frames.rstrip(b"\x00")) / len(frames)
    assert spoken > 0.6  # the script fills the slot; it is not mostly silence
    words = write_text(brief, "voice_ad", {"length": seconds}, 0)["words"]
    assert seconds * 1.7 <= words <= seconds * 2.7
