"""English: social posts, ads, video scripts and banner lines."""

# Social posts: an opening line per campaign type, then body lines, then the close.
HOOK = {
    "lead_generation": [
        "Looking for {product} in {location}?",
        "{audience}: this one's for you.",
        "Thinking about {product}? Let's talk.",
        "Good {product} shouldn't be hard to find.",
        "{theme} — and we'd love to hear from you.",
    ],
    "brand_awareness": [
        "Meet {name}.",
        "Say hello to {name}, {location}'s home of {product}.",
        "Ever wondered who makes the {product} everyone in {location} talks about?",
        "A little introduction: we're {name}.",
        "{theme}: here's who we are.",
    ],
    "client_retention": [
        "A big thank-you to everyone who chose {name} this year.",
        "Our regulars are the heart of {name}.",
        "Something new for our customers at {name}.",
        "You asked, we listened.",
    ],
    "re_engagement": [
        "It's been a while — come and see what's new at {name}.",
        "Missed us? We've been busy.",
        "New at {name}, and worth a second look.",
        "Haven't visited {name} lately? Here's why you should.",
    ],
    "upsell": [
        "Love our {product}? You'll like what's next.",
        "Ready to get more out of {name}?",
        "The next step up at {name} is here.",
        "More of what you like, from {name}.",
    ],
    "referral": [
        "Good things are better shared.",
        "Know someone who'd love {product}?",
        "Bring a friend to {name}.",
        "The best compliment? A recommendation.",
    ],
}
BODY = [
    "{about}",
    "{value}",
    "{message}",
    "We make {product} for {audience}, right here in {location}.",
    "Every order gets the same care, whether it's your first or your fiftieth.",
    "Local, personal and quick to answer: that's how we like to work.",
    "No call centres, no fuss — just people who know their {product}.",
]
OFFER = ["This month: {offer}.", "Our offer for you: {offer}.", "For a limited time: {offer}."]
CLOSE = [
    "{cta}: {url}",
    "{cta} → {url}",
    "{cta}. Call {phone}.",
    "{cta} — just send us a message.",
    "{cta}. We reply within a day.",
]
INSTAGRAM_CLOSE = [
    "{cta} — link in bio.",
    "Tap the link in our bio. {cta}!",
    "{cta}: details in our bio.",
]
TAGS = {
    "lead_generation": ["Local business", "Shop local", "Small business"],
    "brand_awareness": ["Meet the makers", "Shop local", "Small business"],
    "client_retention": ["Thank you", "Community", "Loyal customers"],
    "re_engagement": ["New in", "Come back", "Shop local"],
    "upsell": ["Upgrade", "New", "Customer favourite"],
    "referral": ["Refer a friend", "Share the love", "Community"],
}
IMAGE_IDEA = [
    "A bright, natural-light photo of {product} at {name}, with the team in the background.",
    "A close-up of {product} in use, warm colours, space at the top for the headline.",
    "A photo of a happy customer in {location} with {product}, shot at eye level.",
    "A behind-the-scenes shot of the {name} team at work, looking at the camera.",
    "A flat-lay of {product} on a plain background in your brand colours.",
]
EMOJI = {
    "lead_generation": "👋",
    "brand_awareness": "✨",
    "client_retention": "💛",
    "re_engagement": "👀",
    "upsell": "🚀",
    "referral": "🤝",
}

# Google responsive search ads (headlines ≤ 30, descriptions ≤ 90).
HEADLINE = [
    "{name}",
    "{name} {location}",
    "{product} in {location}",
    "{product}",
    "{offer}",
    "{cta}",
    "Local {product}",
    "Made in {location}",
    "Trusted in {location}",
    "Friendly, fast, local",
    "Quality you can count on",
    "Honest prices",
    "Real people, quick replies",
    "Ask us today",
    "Talk to {name} today",
    "{theme}",
    "{product} done right",
    "Call {phone}",
    "See what's new",
    "Loved by locals",
    "Book today",
    "Family-run and local",
]
DESCRIPTION = [
    "{name} makes {product} for {audience} in {location}. {cta}.",
    "{value} {cta}.",
    "{about} {cta}.",
    "{offer} at {name}. {cta} — we reply within a day.",
    "Local, personal and quick to answer. {cta} with {name}.",
    "{message} Talk to {name} today.",
    "Friendly people, honest prices and {product} we're proud of.",
    "From {location}, for {location}: {product} by {name}.",
]
META_PRIMARY = [
    "{hook} {name} makes {product} for {audience}. {cta}.",
    "{hook} {offer} at {name}.",
    "{value} {cta} with {name}.",
    "{hook} Local, friendly and quick: that's {name}.",
    "{name}: {product} in {location}. {cta}.",
]
META_HEADLINE = [
    "{offer}",
    "{product} in {location}",
    "{cta} with {name}",
    "{name}, {location}",
    "{name}",
    "{cta}",
]
META_DESCRIPTION = [
    "{offer}",
    "Local and friendly",
    "Quick replies, fair prices",
    "Made in {location}",
    "{cta}",
]

# Video scenes: what the camera shows, the text on screen and the voice-over, per role.
VISUAL = {
    "hook": [
        "Close-up of {product}, fast cut",
        "A customer walking into {name}",
        "Street view of {location}, then the {name} sign",
    ],
    "desire": [
        "A customer's face as they try {product}",
        "Everyday moment: someone looking for {product}",
        "Hands at work on {product}",
    ],
    "show": [
        "The team at {name} at work, three quick shots",
        "{product} from three angles",
        "Before and after, side by side",
    ],
    "proof": [
        "A happy customer talking to camera",
        "Shots of regulars saying hello",
        "A busy day at {name}",
    ],
    "offer": [
        "Product shot with the offer on screen",
        "The team holding up a sign with the offer",
        "{product} on a clean background",
    ],
    "cta": [
        "Logo of {name} on brand colour, website below",
        "The team waving goodbye at the door",
        "Storefront of {name} with the logo",
    ],
}
ON_SCREEN = {
    "hook": ["{product} in {location}?", "Meet {name}", "{theme}", "Hello, {location}!"],
    "desire": ["Made for {audience}", "It should be easy", "You deserve better"],
    "show": ["Made with care", "{product}, done right", "Local. Personal. Quick."],
    "proof": ["Loved in {location}", "Our regulars say it best", "Real people, real results"],
    "offer": ["{offer}", "Limited time", "Just for you"],
    "cta": ["{cta}", "{url}", "{name}"],
}
VOICE_OVER = {
    "hook": [
        "Looking for {product} in {location}?",
        "Meet {name}.",
        "This is {name}.",
        "Hello, {location}!",
    ],
    "desire": [
        "You want {product} that just works, from people who care.",
        "{value}",
        "{message}",
        "You deserve people who listen.",
    ],
    "show": [
        "At {name}, we make {product} for {audience}.",
        "Every job gets our full attention, big or small.",
        "{about}",
    ],
    "proof": [
        "That's why so many people in {location} come back to us.",
        "Our regulars say it best: friendly, quick and reliable.",
        "Ask around in {location} — people know us.",
    ],
    "offer": [
        "Right now: {offer}.",
        "And for a limited time, {offer}.",
        "Try us — you'll see the difference.",
    ],
    "cta": ["{cta}. {name}.", "{name}. {cta}.", "Visit {name} today."],
}

# Banner images: a headline, a sub-line and the button.
BANNER_HEADLINE = [
    "{offer}",
    "{product} in {location}",
    "Meet {name}",
    "{theme}",
    "{product}, done right",
    "Hello, {location}!",
]
BANNER_SUBLINE = [
    "{value}",
    "{name} · {location}",
    "{product} for {audience}",
    "{message}",
    "Local, friendly and quick to answer",
]
