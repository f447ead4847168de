"""Lead scores: a deterministic 0–100 with the reasons for it.

Score (0–100, `score_lead`), the points and why:

    email at a business domain          +25   a work address says a business is asking
    email at a free-mail provider       +10   reachable, but maybe a private person
    phone number                        +20   the fastest way to reach them
    company name                        +15
    first and last name                 +10   (first name only +5)
    source: referral                    +20   warm introductions convert best
            form / website / event      +15   they asked us themselves
            a campaign channel          +10   (facebook, google_ads, newsletter, …)
            api / manual                +10
            csv import                   +5   a list: the coldest way in
            anything else                +5
    got in touch again (merged)         +10   recent, repeated interest
    unsubscribed                        −20

The sum is clamped to 0–100 and stored with its reasons, so the inbox can say why.
"""

from __future__ import annotations

from webapp.models import Lead

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "live.co.uk",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
        "btinternet.com",
        "sky.com",
        "virginmedia.com",
        "qq.com",
        "163.com",
        "126.com",
        "orange.fr",
        "free.fr",
        "libero.it",
    }
)
SOURCE_POINTS = {
    "referral": 20,
    "form": 15,
    "website": 15,
    "event": 15,
    "events": 15,
    "api": 10,
    "manual": 10,
    "csv": 5,
}
CAMPAIGN_CHANNELS = frozenset(
    {
        "facebook",
        "instagram",
        "meta",
        "meta_ads",
        "google",
        "google_ads",
        "adwords",
        "email",
        "newsletter",
        "sms",
        "whatsapp",
        "seo",
        "organic",
        "content",
        "blog",
        "linkedin",
        "tiktok",
    }
)


def score_lead(lead: Lead) -> tuple[int, list[dict]]:
    """(score 0–100, reasons): each reason is {"points": n, "reason": "…"}. Deterministic."""
    reasons: list[dict] = []

    def add(points: int, reason: str) -> None:
        reasons.append({"points": points, "reason": reason})

    if lead.email:
        domain = lead.email.rsplit("@", 1)[-1]
        if domain in FREE_MAIL:
            add(10, f"Personal email address ({domain})")
        else:
            add(25, f"Email at a business domain ({domain})")
    if lead.phone:
        add(20, "Phone number given")
    if lead.company:
        add(15, "Company given")
    parts = lead.full_name.split()
    if len(parts) >= 2:
        add(10, "First and last name given")
    elif parts:
        add(5, "First name only")
    source = lead.source or ""
    if source in SOURCE_POINTS:
        add(SOURCE_POINTS[source], f"Source: {source}")
    elif source in CAMPAIGN_CHANNELS:
        add(10, f"Came from a campaign channel ({source})")
    else:
        add(5, f"Source: {source or 'unknown'}")
    seen = int((lead.extra or {}).get("_seen", 1))
    if seen > 1:
        add(10, f"Got in touch again ({seen} times)")
    if lead.unsubscribed_at is not None:
        add(-20, "Unsubscribed")
    total = max(0, min(100, sum(r["points"] for r in reasons)))
    return total, reasons
