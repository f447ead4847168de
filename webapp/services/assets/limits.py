"""Each platform's length limits and how they are counted, in one place: the writers keep
within them, OpenAI answers are checked against them, and the edit page warns on edits
that break them (webapp/static/asset_limits.js counts the same way).

X counts "weighted" characters (twitter-text v3): code points in the light ranges weigh
1, every other code point 2, an emoji (with its modifiers and joiners) 2 in all, and a URL
23 whatever its length. Nothing here ever truncates: it measures and reports."""

from __future__ import annotations

import re
import unicodedata

X_MAX = 280
URL_WEIGHT = 23
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# Platform → hard limit of a post (characters; X: weighted).
POST_LIMITS = {"linkedin": 3000, "x": X_MAX, "facebook": 63206, "instagram": 2200}
PLATFORM_LABELS = {
    "linkedin": "LinkedIn",
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
}
INSTAGRAM_MAX_HASHTAGS = 30
# Google responsive search ads.
GOOGLE = {"headline": 30, "description": 90, "path": 15, "headlines": 15, "descriptions": 4}
GOOGLE_MIN = {"headlines": 3, "descriptions": 2}
# Meta: what shows before "… See more" / truncation in the feed (the writer stays inside).
META = {"primary_text": 125, "headline": 40, "description": 30}
EMAIL = {"subject": 60, "preheader": 100}

URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|co|de|at|ch|eu|uk|shop|info|biz|app)"
    r"(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?\b",
    re.IGNORECASE,
)


def _is_emoji_base(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2B00 <= cp <= 0x2BFF
        or 0x2300 <= cp <= 0x23FF
    )


def _is_emoji_tail(cp: int) -> bool:
    """Code points that join the emoji before them: variation selector, skin tones, tags."""
    return cp == 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F or cp == 0x20E3


def _weigh_text(text: str) -> int:
    points = [ord(c) for c in text]
    total, i = 0, 0
    while i < len(points):
        cp = points[i]
        if 0x1F1E6 <= cp <= 0x1F1FF:  # a flag is two regional indicators
            i += 2 if i + 1 < len(points) and 0x1F1E6 <= points[i + 1] <= 0x1F1FF else 1
            total += 2
            continue
        if _is_emoji_base(cp):
            i += 1
            while i < len(points):
                if _is_emoji_tail(points[i]):
                    i += 1
                elif points[i] == 0x200D and i + 1 < len(points):  # zero-width joiner
                    i += 2
                else:
                    break
            total += 2
            continue
        total += 1 if any(lo <= cp <= hi for lo, hi in LIGHT_RANGES) else 2
        i += 1
    return total


def x_length(text: str) -> int:
    """The weighted length X counts for `text` (NFC-normalised, URLs as 23)."""
    text = unicodedata.normalize("NFC", text)
    total, last = 0, 0
    for match in URL.finditer(text):
        total += _weigh_text(text[last : match.start()]) + URL_WEIGHT
        last = match.end()
    return total + _weigh_text(text[last:])


def length_on(platform: str, text: str) -> int:
    """How long `text` is as the platform counts it."""
    return x_length(text) if platform == "x" else len(unicodedata.normalize("NFC", text))


def fits(platform: str, text: str) -> bool:
    return length_on(platform, text) <= POST_LIMITS[platform]


def social_problems(content: dict) -> list[str]:
    platform = content.get("platform", "")
    if platform not in POST_LIMITS:
        return ["platform must be one of " + ", ".join(POST_LIMITS)]
    problems = []
    size = length_on(platform, content.get("text", ""))
    if size > POST_LIMITS[platform]:
        problems.append(
            f"text is {size:,} characters; {PLATFORM_LABELS[platform]} allows "
            f"{POST_LIMITS[platform]:,}"
        )
    if platform == "instagram" and len(content.get("hashtags") or []) > INSTAGRAM_MAX_HASHTAGS:
        problems.append(f"Instagram allows at most {INSTAGRAM_MAX_HASHTAGS} hashtags")
    return problems


def google_problems(content: dict) -> list[str]:
    problems = []
    for kind, limit in (("headline", GOOGLE["headline"]), ("description", GOOGLE["description"])):
        items = content.get(kind + "s") or []
        if not GOOGLE_MIN[kind + "s"] <= len(items) <= GOOGLE[kind + "s"]:
            problems.append(
                f"give {GOOGLE_MIN[kind + 's']} to {GOOGLE[kind + 's']} {kind}s ({len(items)} now)"
            )
        problems += [
            f"{kind} {n} is {len(t)} characters; at most {limit}"
            for n, t in enumerate(items, 1)
            if len(t) > limit or not t.strip()
        ]
    for name in ("path1", "path2"):
        if len(content.get(name) or "") > GOOGLE["path"]:
            problems.append(f"{name} is longer than {GOOGLE['path']} characters")
    return problems


def meta_problems(content: dict) -> list[str]:
    return [
        f"{name.replace('_', ' ')} is {len(content.get(name) or '')} characters; "
        f"{limit} show before it is cut off"
        for name, limit in META.items()
        if len(content.get(name) or "") > limit or not (content.get(name) or "").strip()
    ]


def email_problems(content: dict) -> list[str]:
    problems = []
    for n, email in enumerate(content.get("emails") or [], 1):
        for name, limit in EMAIL.items():
            if len(email.get(name) or "") > limit:
                problems.append(f"email {n}: {name} is longer than {limit} characters")
        if not (email.get("subject") or "").strip() or not (email.get("body") or "").strip():
            problems.append(f"email {n} needs a subject and a body")
    if not 1 <= len(content.get("emails") or []) <= 6:
        problems.append("a sequence has 1 to 6 emails")
    return problems


def video_problems(content: dict) -> list[str]:
    scenes = content.get("scenes") or []
    total = sum(int(s.get("seconds") or 0) for s in scenes)
    if not scenes:
        return ["a script needs at least one scene"]
    if total != int(content.get("length") or 0):
        return [f"the scenes add up to {total} s, not {content.get('length')} s"]
    return []


def problems_of(asset_type: str, content: dict) -> list[str]:
    """What breaks a limit in one variation of an asset (empty: it fits everywhere)."""
    if asset_type == "social_post":
        return social_problems(content)
    if asset_type == "ad_creative":
        return (
            google_problems(content)
            if content.get("network") == "google"
            else meta_problems(content)
        )
    if asset_type == "email_sequence":
        return email_problems(content)
    if asset_type == "video_script":
        return video_problems(content)
    return []
