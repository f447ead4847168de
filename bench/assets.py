"""Benchmark: the offline asset writer, every asset type for 100 campaigns.

    .venv/bin/python bench/assets.py [--campaigns 100]

Each campaign is a different business (name, trade, town, audience, offer, language en or
de, campaign type) and gets all six asset types, with their options rotating: an email
sequence, a social post (LinkedIn, X, Facebook, Instagram), an ad (Google, Meta), a video
script (15/30/60 s), a voice ad (15/30/60 s, a real WAV from espeak-ng) and a banner
(1200×628, 1080×1080, 1080×1920 PNG from Pillow). One asset is what the `assets.generate`
job writes for it: three text variations and the chosen one's file. The landing page
copy is included when the landing-page area's writer exists on this branch.

Prints `assets_per_s: X` (assets written per second, one process), `asset_p95_ms: X` (the
95th percentile of one asset's time; the goal is at most 500 ms for any type offline) and
the p95 and the maximum per type.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp.services.assets.writer import make_file, write_text
from webapp.services.marketing import Brief

TRADES = [
    ("bake sourdough bread and cakes", "families", "10 % off the first order"),
    ("repair road and city bikes", "commuters", "a free safety check"),
    ("cut and colour hair", "busy professionals", "15 % off a first visit"),
    ("teach yoga and pilates classes", "beginners", "a free trial class"),
    ("roast speciality coffee", "home baristas", "free delivery this month"),
    ("fix boilers and heating", "homeowners", "no call-out fee this week"),
    ("make handmade leather bags", "commuters", "free monogramming"),
    ("clean offices and shops", "small businesses", "a free first clean"),
]
TOWNS = ["Leeds", "Bristol", "Köln", "Zürich", "Manchester", "München", "Glasgow", "Hamburg"]
TYPES = [
    "lead_generation",
    "brand_awareness",
    "client_retention",
    "re_engagement",
    "upsell",
    "referral",
]
OPTIONS = {
    "email_sequence": [{}],
    "social_post": [{"platform": p} for p in ("linkedin", "x", "facebook", "instagram")],
    "ad_creative": [{"network": "google"}, {"network": "meta"}],
    "video_script": [{"length": n} for n in (15, 30, 60)],
    "voice_ad": [{"length": n} for n in (15, 30, 60)],
    "image": [{"size": s} for s in ("1200x628", "1080x1080", "1080x1920")],
}


def brief(n: int) -> Brief:
    trade, audience, offer = TRADES[n % len(TRADES)]
    town = TOWNS[(n // 3) % len(TOWNS)]
    german = town in ("Köln", "München", "Hamburg")
    return Brief(
        business_name=f"{town} {trade.split()[-1].title()} Co {n}",
        description=f"We {trade} in {town}.",
        audience=f"{audience} in {town}",
        location=town,
        market="b2c",
        interests=(),
        value_proposition="Friendly, local and quick to answer",
        tone="warm",
        key_messages=(),
        language="de" if german else "en",
        primary_color="#1d4ed8",
        accent_color="#f59e0b",
        has_logo=False,
        website=f"https://shop{n}.example",
        phone="0100 000000",
        campaign_id=n,
        campaign_name=f"Campaign {n}",
        campaign_type=TYPES[n % len(TYPES)],
        objective="more customers",
        offer=offer,
    )


def landing_writer():
    """The landing-page area's copy writer, when it exists on this branch."""
    try:
        module = importlib.import_module("webapp.services.landing_pages")
    except ImportError:
        return None
    for name in ("write_landing_copy", "landing_copy", "write_copy"):
        try:
            return getattr(module, name)
        except AttributeError:
            continue
    return None


def one_asset(b: Brief, asset_type: str, options: dict) -> None:
    variations = [write_text(b, asset_type, options, v) for v in range(3)]
    make_file(asset_type, variations[0], b, None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=100)
    args = parser.parse_args()
    landing = landing_writer()
    times: dict[str, list[float]] = {t: [] for t in OPTIONS}
    started = time.perf_counter()
    for n in range(args.campaigns):
        b = brief(n)
        for asset_type, choices in OPTIONS.items():
            t0 = time.perf_counter()
            one_asset(b, asset_type, choices[n % len(choices)])
            times[asset_type].append((time.perf_counter() - t0) * 1000)
        if landing is not None:
            t0 = time.perf_counter()
            landing(b)
            times.setdefault("landing_page", []).append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    every = sorted(ms for values in times.values() for ms in values)
    p95 = statistics.quantiles(every, n=20)[-1]
    print(f"assets: {len(every)}")
    print(f"assets_per_s: {len(every) / elapsed:.1f}")
    print(f"asset_p95_ms: {p95:.1f}")
    for asset_type, values in times.items():
        print(f"asset_p95_ms_{asset_type}: {statistics.quantiles(values, n=20)[-1]:.1f}")
        print(f"asset_max_ms_{asset_type}: {max(values):.1f}")
    if landing is None:
        print("landing_page: skipped (no landing-page writer on this branch)")


if __name__ == "__main__":
    main()
