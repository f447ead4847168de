"""Two real-looking businesses (and a German one) as Briefs, for the writer's tests."""

from __future__ import annotations

from dataclasses import replace

from webapp.services.marketing import Brief

BAKERY = Brief(
    business_name="Crumb & Co",
    description="We bake sourdough bread and celebration cakes in Leeds.",
    audience="busy families in north Leeds",
    location="Leeds",
    market="b2c",
    interests=("baking", "local food"),
    value_proposition="Bread baked overnight, the slow way, with no additives",
    tone="warm",
    key_messages=("Real bread takes time",),
    language="en",
    primary_color="#7c2d12",
    accent_color="#facc15",
    has_logo=False,
    website="https://crumbandco.example",
    phone="0113 496 0000",
    campaign_id=11,
    campaign_name="Christmas orders",
    campaign_type="lead_generation",
    objective="30 Christmas cake orders",
    offer="10 % off your first order",
)
BIKES = Brief(
    business_name="Spoke Street Cycles",
    description="We repair and service road and city bikes in Bristol.",
    audience="commuters who cycle to work",
    location="Bristol",
    market="b2c",
    interests=("cycling",),
    value_proposition="Same-day repairs with a fixed price agreed up front",
    tone="friendly",
    key_messages=("Back on the road by evening",),
    language="en",
    primary_color="#065f46",
    accent_color="#f97316",
    has_logo=False,
    website="https://spokestreet.example",
    phone="0117 496 0000",
    campaign_id=12,
    campaign_name="Spring tune-up",
    campaign_type="re_engagement",
    objective="bring back customers from last year",
    offer="a free safety check with every service",
)
BAECKEREI = replace(
    BAKERY,
    business_name="Bäckerei Sonnenkorn",
    description="Wir backen Sauerteigbrot und Kuchen in Köln.",
    audience="Familien im Kölner Süden",
    location="Köln",
    value_proposition="Brot mit langer Teigführung, ohne Zusatzstoffe",
    key_messages=("Gutes Brot braucht Zeit",),
    language="de",
    website="https://sonnenkorn.example",
    phone="0221 123456",
    campaign_name="Weihnachtsbestellungen",
    offer="10 % Rabatt auf die erste Bestellung",
)
# Emoji and non-Latin text in every fact: the limits must hold all the same.
EMOJI_SHOP = replace(
    BAKERY,
    business_name="Café Ümlaut 🍰☕ 東京ベーカリー",
    description="We bake 🍞 sourdough, matcha 抹茶 croissants and Käsekuchen in Zürich.",
    audience="Zürich’s early risers 🌅 and students 🎓",
    location="Zürich 🇨🇭",
    value_proposition="Frisch gebacken 👩‍🍳 every morning, naturally leavened — no shortcuts 💯",
    key_messages=("Good bread, good day ☀️",),
    offer="🎁 20 % off 東京 pastries this week",
    website="https://cafe-umlaut.example/angebote/weihnachten?ref=instagram",
)
