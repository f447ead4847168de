"""A variation of any asset type as plain text: for the API's `content`, copy buttons and
downloads."""

from __future__ import annotations


def text_of(asset_type: str, data: dict) -> str:
    if asset_type == "email_sequence":
        return "\n\n---\n\n".join(
            f"Day {e.get('day', 0)}\nSubject: {e['subject']}\nPreheader: {e.get('preheader', '')}\n\n{e['body']}"
            for e in data.get("emails") or []
        )
    if asset_type == "social_post":
        return data.get("text", "")
    if asset_type == "ad_creative":
        if data.get("network") == "meta":
            return f"Primary text: {data['primary_text']}\nHeadline: {data['headline']}\nDescription: {data['description']}"
        lines = ["Headlines:", *(f"- {h}" for h in data.get("headlines") or []), "Descriptions:"]
        lines += [f"- {d}" for d in data.get("descriptions") or []]
        lines.append(f"Paths: /{data.get('path1', '')}/{data.get('path2', '')}".rstrip("/"))
        return "\n".join(lines)
    if asset_type == "video_script":
        return "\n\n".join(
            f"{s['start']}–{s['end']} s\nShot: {s['visual']}\nOn screen: {s['on_screen']}\nVoice-over: {s['voice_over']}"
            for s in data.get("scenes") or []
        )
    if asset_type == "voice_ad":
        return data.get("script", "")
    parts = (data.get("business"), data.get("headline"), data.get("subline"), data.get("cta"))
    return "\n".join(x for x in parts if x)
