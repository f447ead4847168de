"""English: calls to action, the email sequences and the voice ads."""

CTA = {
    "lead_generation": "Get in touch today",
    "brand_awareness": "Take a look",
    "client_retention": "See what's new",
    "re_engagement": "Come back and see us",
    "upsell": "Upgrade today",
    "referral": "Invite a friend",
}
GREETING = "Hi {{firstName|there}},"
SIGN_OFF = [
    "Best wishes,\nThe team at {name}",
    "Speak soon,\n{name}",
    "Warm regards,\nEveryone at {name}",
]
REPLY = "Simply reply to this email and we will get back to you personally."
CALL = "Prefer to talk? Call us on {phone}."
LINK = "{cta}: {url}"

# The emails of a sequence, per campaign type, as roles; days after enrolment.
PLAN = {
    "lead_generation": ["intro", "value", "offer", "reminder"],
    "brand_awareness": ["intro", "value", "offer"],
    "client_retention": ["thanks", "value", "offer"],
    "re_engagement": ["miss_you", "offer", "reminder"],
    "upsell": ["thanks", "upgrade", "reminder"],
    "referral": ["thanks", "invite", "reminder"],
}
DAYS = [0, 2, 5, 9]

SUBJECT = {
    "intro": [
        "Welcome to {name}",
        "Nice to meet you, from {name}",
        "{name}: {product} in {location}",
        "Here's what {name} does for you",
        "Your first look at {name}",
        "{theme} at {name}",
    ],
    "value": [
        "Why {audience} choose {name}",
        "What makes our {product} different",
        "A closer look at {product}",
        "How {name} makes life easier",
        "Three reasons people pick {name}",
        "The story behind {name}",
    ],
    "offer": [
        "{offer} at {name}",
        "Our offer for you: {offer}",
        "Something for you from {name}",
        "Ready when you are: {offer}",
        "{theme}: our offer for you",
        "A little thank-you from {name}",
    ],
    "reminder": [
        "Last reminder: {offer}",
        "Still thinking it over?",
        "Don't miss out at {name}",
        "A quick reminder from {name}",
        "One last note about {theme}",
        "Before you go: {offer}",
    ],
    "thanks": [
        "Thank you from {name}",
        "Thanks for being with {name}",
        "We appreciate you",
        "A thank-you from all of us at {name}",
        "You make {name} what it is",
    ],
    "miss_you": [
        "We miss you at {name}",
        "It's been a while",
        "Long time no see",
        "Come back to {name}",
        "Something new at {name}",
    ],
    "upgrade": [
        "Get more from {name}",
        "Ready for the next step?",
        "More {product}, more value",
        "An upgrade made for you",
        "Take {product} further",
    ],
    "invite": [
        "Share {name} with a friend",
        "Know someone who'd love {product}?",
        "Bring a friend to {name}",
        "Friends of yours are welcome",
        "Pass on the good word",
    ],
}
PREHEADER = {
    "intro": [
        "Who we are, what we do, and why it matters to you.",
        "{product} for {audience}, made with care in {location}.",
        "A short hello and what to expect from us.",
        "{value}",
    ],
    "value": [
        "{value}",
        "What {audience} tell us they like most.",
        "The details that make a difference.",
        "Honest answers to the questions we hear most.",
    ],
    "offer": [
        "{offer}, just for you.",
        "Here's how to make the most of it.",
        "Our thank-you for reading along.",
        "A good moment to try {product}.",
    ],
    "reminder": [
        "Just a short note before it ends.",
        "In case this got buried in your inbox.",
        "{offer} is still waiting for you.",
        "One click and you're in.",
    ],
    "thanks": [
        "A short note to say thank you.",
        "We wouldn't be here without customers like you.",
        "What's coming next at {name}.",
    ],
    "miss_you": [
        "Here's what has changed since your last visit.",
        "We'd love to see you again.",
        "{offer} to welcome you back.",
    ],
    "upgrade": ["More of what you already like.", "{value}", "See what the next level brings."],
    "invite": [
        "Good things are better shared.",
        "Your friends get a warm welcome.",
        "{offer} when you bring a friend.",
    ],
}
PARAGRAPHS = {
    "intro": [
        "Thanks for your interest in {name}. {about}",
        "We're {name}, and we make {product} for {audience} in {location}.",
        "At {name} we focus on one thing: {product} done properly. {value}",
        "You're hearing from {name} because you asked to stay in touch. {about}",
        "If you're looking for {product} in {location}, you've come to the right place.",
        "{value} That's the promise behind everything we do at {name}.",
    ],
    "value": [
        "{value} It's the reason so many {audience} keep coming back.",
        "People often ask what makes {name} different. Short answer: we care about the details, and it shows in our {product}.",
        "{message} We'd rather do fewer things well than many things half-heartedly.",
        "Every order of {product} gets the same attention, whether it's your first or your fiftieth.",
        "We're local to {location}, so you deal with real people who know the area and answer quickly.",
        "Our customers tell us the best part is how simple it is: you ask, we take care of the rest.",
    ],
    "offer": [
        "Right now you can get {offer}. It's our way of saying: give us a try.",
        "Here's something for you: {offer}. No catch, no small print to hunt for.",
        "We've put together {offer} for people on this list first.",
        "If you've been waiting for the right moment to try our {product}, this is it.",
        "{theme} is on, and we'd love you to be part of it.",
    ],
    "reminder": [
        "A quick reminder: {offer} won't be around for much longer.",
        "We know inboxes get busy, so here's a gentle nudge about {offer}.",
        "If you've been meaning to get in touch, now is a good time.",
        "No pressure at all — just making sure you didn't miss it.",
        "This is the last email in this series, so we'll keep it short.",
    ],
    "thanks": [
        "Thank you for choosing {name}. Customers like you are why we love what we do.",
        "We wanted to take a moment to say thanks for your trust in {name}.",
        "Running a business in {location} is only fun because of people like you.",
        "It means a lot that you picked {name} for your {product}.",
    ],
    "miss_you": [
        "It's been a while since we last heard from you, and we've missed you at {name}.",
        "A lot has happened at {name} since your last visit, and we'd love to show you.",
        "We noticed it's been some time, so we wanted to check in and say hello.",
        "If something didn't feel right last time, just reply and tell us. We read every answer.",
    ],
    "upgrade": [
        "You already know our {product}. Here's how to get even more out of it.",
        "Many of our regular customers have moved up a step, and they tell us it was worth it.",
        "{value} The next step gives you more of exactly that.",
        "If you've been happy so far, we think you'll like what comes next even more.",
    ],
    "invite": [
        "Know someone who would love {product} as much as you do? Send them our way.",
        "The best compliment we can get is a recommendation to a friend.",
        "Bring a friend to {name} and you'll both get {offer}.",
        "Most of our customers found us through a friend. Maybe yours will too.",
    ],
}

# Voice ads: sentences in speaking order; the writer keeps adding until the length is met.
VOICE = {
    "hook": [
        "Looking for {product} in {location}?",
        "Here's some good news for {audience}.",
        "Listen up, {location}!",
        "Need {product} you can count on?",
        "{theme} is here.",
    ],
    "about": [
        "{name} is your local place for {product}.",
        "At {name}, {about_lower}",
        "{name} has you covered.",
        "{name} makes {product} for {audience}.",
    ],
    "value": [
        "{value}",
        "{message}",
        "We take care of the details, so you don't have to.",
        "Friendly people, honest prices, and work we're proud of.",
        "Real people, quick answers, and no fuss.",
    ],
    "offer": ["Right now: {offer}.", "And for a limited time, {offer}.", "Don't miss it: {offer}."],
    "cta": [
        "Visit {url_spoken} today.",
        "Call us on {phone}.",
        "Find us at {url_spoken}.",
        "Drop by and say hello.",
    ],
    "close": [
        "{name}. {cta}.",
        "That's {name}. We'd love to hear from you.",
        "{name} — see you soon.",
    ],
    "more": [
        "Every job gets the same care, big or small.",
        "You talk to real people, not a call centre.",
        "Questions? We answer them in plain words.",
        "Ask us anything — there are no silly questions.",
        "We're proud of what we do, and it shows.",
        "Good work takes time, and we take it.",
        "We'd love to hear from you.",
    ],
}
