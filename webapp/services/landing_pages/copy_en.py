"""English phrasings for the landing-page writer (copy.py). Placeholders are the brief's
facts ({name}, {audience}, {location}, {offer}/{Offer}, {description}, {value}, {phone},
{website}); a phrasing is used only when all of its facts are known. Every list keeps at
least one phrasing that needs nothing but {name}, so a page is never short of a line."""

HEADLINES = {
    "lead_generation": [
        "{Offer} at {name}",
        "Help for {audience}, from {name}",
        "Tell us what you need. {name} comes back with a clear plan.",
        "Looking for help in {location}? Start with {name}.",
        "Get a clear price from {name}, without the chasing",
        "{name} helps {audience} get it done properly",
    ],
    "brand_awareness": [
        "Meet {name}",
        "{name}, right here in {location}",
        "Say hello to {name}, made for {audience}",
        "There's a new favourite in {location}: {name}",
        "Why people are talking about {name}",
    ],
    "client_retention": [
        "Thank you for choosing {name}",
        "A little something for our regulars: {offer}",
        "You're part of the {name} family",
        "For our customers first: what's new at {name}",
    ],
    "re_engagement": [
        "We've missed you at {name}",
        "Come back to {name}: {offer}",
        "It's been a while. Here's what's new at {name}.",
        "Your place at {name} is still waiting",
    ],
    "upsell": [
        "Get more out of {name}",
        "Ready for the next step with {name}?",
        "You know {name}. Here's what else we can do for you.",
        "Upgrade your {name} experience: {offer}",
    ],
    "referral": [
        "Know someone who'd love {name}?",
        "Share {name} with a friend: {offer}",
        "Good things are better shared. Bring a friend to {name}.",
        "Your friends in {location} will thank you for {name}",
    ],
}

SUBLINES = {
    "lead_generation": [
        "{description} Leave your details and we'll get back to you within one working day.",
        "{value} Tell us a little about what you need; the first conversation is free.",
        "For {audience} in {location}: one short form, and a real person from {name} replies.",
        "{Offer} when you get in touch through this page. No obligation, no hard sell.",
        "One short form, a reply from a real person at {name}, and no obligation at all.",
    ],
    "brand_awareness": [
        "{description} Come and see for yourself.",
        "{value} Leave your email and be the first to hear what we're up to.",
        "We're {name}, and we do things for {audience} a little differently.",
        "A local business with a lot of care behind it. Say hello, we'd love to meet you.",
    ],
    "client_retention": [
        "Customers like you keep {name} going. {Offer}, just for you.",
        "{value} As a thank-you, we've put something aside for you.",
        "We keep our best offers for the people who already know us. Here is yours.",
    ],
    "re_engagement": [
        "A lot has happened at {name} since your last visit. {Offer} to welcome you back.",
        "{description} We'd love to see you again.",
        "No catch: tell us you're interested and we'll send you the details.",
    ],
    "upsell": [
        "{value} Here's how you can get even more from it.",
        "{Offer} for existing customers who want to go further.",
        "Tell us what you'd like more of, and we'll suggest the option that fits.",
    ],
    "referral": [
        "Recommend {name} to a friend. {Offer}.",
        "{value} Pass it on to someone who needs it.",
        "Send us a friend's details (with their okay) and we'll take good care of them.",
    ],
}

CTAS = {
    "lead_generation": [
        "Get my free quote",
        "Request a call back",
        "Ask {name}",
        "Send my request",
    ],
    "brand_awareness": ["Keep me posted", "Say hello", "Get the news from {name}"],
    "client_retention": ["Claim my thank-you", "Get my customer offer", "Yes, I want it"],
    "re_engagement": ["Welcome me back", "Show me what's new", "Claim my offer"],
    "upsell": ["Show me the options", "Tell me more", "I'd like the upgrade"],
    "referral": ["Recommend a friend", "Share {name}", "Send the invitation"],
}

BENEFITS_TITLES = [
    "Why {name}",
    "What you get with {name}",
    "Why people choose {name}",
    "Good reasons to get in touch",
]
MESSAGE_TITLES = ["Our promise", "What we stand for", "What you can count on"]

BENEFITS = {
    "lead_generation": [
        (
            "A clear price up front",
            "You get a written quote before anything starts. No surprises later.",
        ),
        ("Quick answers", "We reply within one working day, usually sooner."),
        (
            "Advice that fits",
            "We ask a few questions first, so what we suggest suits you, not a template.",
        ),
        ("{Offer}", "Get in touch through this page and {offer} is yours."),
    ],
    "brand_awareness": [
        ("Made for {audience}", "Everything we do is planned with {audience} in mind."),
        (
            "Local to {location}",
            "We're based in {location}, so we're never far away when you need us.",
        ),
        ("Real people", "You talk to the people who do the work, not a call centre."),
    ],
    "client_retention": [
        ("First in line", "Customers hear about new things before anyone else."),
        ("{Offer}", "Our way of saying thank you for coming back: {offer}."),
        ("We remember you", "No need to explain everything again; we know what you like."),
    ],
    "re_engagement": [
        ("What's new", "New ideas, better service, the same people behind it."),
        ("{Offer}", "To welcome you back: {offer}."),
        ("Easy to restart", "Pick up where you left off; one message is enough."),
    ],
    "upsell": [
        ("More of what works", "Build on what you already use, without starting over."),
        ("{Offer}", "For existing customers only: {offer}."),
        ("Honest advice", "If the upgrade isn't right for you, we'll say so."),
    ],
    "referral": [
        ("{Offer}", "When your friend gets in touch through this page: {offer}."),
        ("Looked after well", "Your friend gets the same care you know from us."),
        ("Easy to share", "One short form is all it takes."),
    ],
    "any": [
        ("Local and personal", "{name} is run by people who care about {location}."),
        ("What we do", "{description}"),
        ("Our difference", "{value}"),
        ("Reachable", "Prefer to talk? Call us on {phone}."),
        ("No obligation", "Ask first, decide later. No pressure and no small print."),
        ("Your details stay private", "We use them only to answer you and never pass them on."),
        ("A real person replies", "Your message goes straight to the {name} team."),
    ],
}

TESTIMONIALS_TITLE = "What our customers say"
FAQ_TITLE = "Questions and answers"

FAQ = {
    "lead_generation": [
        ("Does a quote cost anything?", "No. The quote is free and you're under no obligation."),
        ("How quickly will I hear back?", "Within one working day; often the same day."),
        (
            "What is the offer exactly?",
            "{Offer}. It's yours when you get in touch through this page.",
        ),
    ],
    "brand_awareness": [
        ("Who is behind {name}?", "{description} Get in touch and meet us."),
        (
            "Where can I find you?",
            "We're in {location}. Leave your details and we'll send you directions.",
        ),
        (
            "How often will you email me?",
            "Only when there's something worth telling, a few times a month at most.",
        ),
    ],
    "client_retention": [
        (
            "Who can use this offer?",
            "It's for existing customers of {name}. Use the email you know us by.",
        ),
        ("Is there a catch?", "No. It's a thank-you for being a customer."),
    ],
    "re_engagement": [
        ("What has changed?", "{description} Leave your details and we'll tell you more."),
        (
            "Who gets {offer}?",
            "Returning customers who get in touch through this page. We'll confirm the details when we reply.",
        ),
        ("Can I just ask a question?", "Of course. Use the form and we'll answer personally."),
    ],
    "upsell": [
        (
            "Will my current setup change?",
            "Only if you want it to. We'll explain every option first.",
        ),
        (
            "Who is the upgrade for?",
            "For existing {name} customers who want more of what they already like.",
        ),
        (
            "What does it cost?",
            "That depends on what you choose; you get a clear price before you decide.",
        ),
    ],
    "referral": [
        (
            "Does my friend know I'm recommending them?",
            "Please ask them first; we only contact people who agreed.",
        ),
        ("What does my friend get?", "{Offer}, and a personal welcome from {name}."),
    ],
    "any": [
        (
            "What happens after I send the form?",
            "Someone from {name} reads it and replies, usually within one working day.",
        ),
        ("Can I call instead?", "Yes, call us on {phone}."),
        ("Where are you based?", "In {location}."),
        (
            "What do you do with my details?",
            "We use them only to answer you. We never sell or share them, and you can ask us to delete them at any time.",
        ),
        (
            "Can I unsubscribe later?",
            "Yes, every email has an unsubscribe link, and one click is enough.",
        ),
    ],
}

FORM_TITLES = {
    "lead_generation": ["Get your free quote", "Tell us what you need", "Request a call back"],
    "brand_awareness": ["Stay in touch with {name}", "Hear from us first"],
    "client_retention": ["Claim your thank-you", "Your customer offer"],
    "re_engagement": ["Welcome back", "Come back to {name}"],
    "upsell": ["Find the right upgrade", "Tell us what you'd like more of"],
    "referral": ["Recommend a friend", "Introduce a friend to {name}"],
}
FORM_INTROS = [
    "It takes a minute. We'll reply personally.",
    "Leave your details and we'll be in touch within one working day.",
    "We only use your details to answer you. Prefer to call? {phone}.",
]
THANKS = [
    "Thank you! Your message is with {name}; we'll be in touch soon.",
    "Thanks, we've got it. Someone from {name} will reply within one working day.",
]

UI = {
    "name": "Your name",
    "email": "Email",
    "phone": "Phone (optional)",
    "message": "Message (optional)",
    "required": "required",
    "honeypot": "Leave this field empty",
    "email_invalid": "Please enter a valid email address.",
    "phone_invalid": "Please enter a valid phone number, or leave it empty.",
    "rate_limited": "Too many submissions right now. Please wait a minute and try again.",
    "check_form": "Please check the form.",
    "sent_title": "Thank you",
    "no_cookies": "This page sets no cookies and loads nothing from other sites.",
    "call": "Call",
    "website": "Website",
    "skip": "Skip to the form",
    "logo_alt": "{name} logo",
}
