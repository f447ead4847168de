"""The default intents a workspace starts with: a small business's usual questions, and an
explicit out-of-scope intent trained on unrelated phrases.

Responses are templates over the workspace's facts only ({business}, {phone}, {website},
{contact}, {description}, {opening_hours}, {pricing}); a response whose fact is missing is
skipped (answers.py), so the bot never invents an opening time or a price.
"""

from __future__ import annotations

DEFAULT_INTENTS: list[dict] = [
    {
        "name": "greeting",
        "description": "Hello, hi, good morning.",
        "phrases": [
            "hi", "hello", "hey", "hey there", "good morning", "good afternoon",
            "good evening", "hi there", "hello, anyone there?", "hiya", "howdy",
            "morning!", "yo", "greetings", "hello, how are you", "hi, I have a question",
            "hey, quick question", "hello team",
        ],
        "responses": [
            "Hi! Welcome to {business}. How can I help you today?",
            "Hello! I'm the {business} assistant. Ask me about opening hours, prices or "
            "booking.",
        ],
        "actions": [],
    },
    {
        "name": "opening_hours",
        "description": "When the business is open.",
        "phrases": [
            "what are your opening hours", "when are you open", "are you open today",
            "what time do you open", "what time do you close", "opening times",
            "are you open on sunday", "are you open on saturdays", "hours of business",
            "when do you close today", "open tomorrow?", "what are your hours",
            "are you open now", "business hours", "how late are you open",
            "do you open on bank holidays", "when can i come in", "opening hours please",
        ],
        "responses": ["Our opening hours: {opening_hours}", "We're open {opening_hours}."],
        "actions": [],
    },
    {
        "name": "pricing",
        "description": "What things cost.",
        "phrases": [
            "how much does it cost", "what are your prices", "price list", "how much is it",
            "what do you charge", "pricing", "is it expensive", "cost of your services",
            "do you have a price list", "how much for", "what's the price", "rates",
            "any discounts", "how much would that be", "fees", "quote please",
            "what does a session cost", "cheapest option",
        ],
        "responses": ["Here are our prices: {pricing}", "Our pricing: {pricing}"],
        "actions": [],
    },
    {
        "name": "booking",
        "description": "Book an appointment or a call-back.",
        "phrases": [
            "i want to book", "can i make an appointment", "book a table", "make a booking",
            "reserve a slot", "i'd like to schedule an appointment", "can you call me back",
            "i want a call back", "book me in", "do you have availability", "available slots",
            "can i book for tomorrow", "appointment please", "schedule a visit",
            "i need an appointment", "request a callback", "please phone me",
            "can someone ring me",
        ],
        "responses": [
            "I can ask the team to call you back to book. What's your phone number (or "
            "email)?",
        ],
        "actions": ["callback"],
    },
    {
        "name": "order_status",
        "description": "Where an order or request is.",
        "phrases": [
            "where is my order", "track my order", "order status", "when will my order arrive",
            "has my order shipped", "my order hasn't arrived", "delivery status",
            "what's happening with my order", "tracking number", "is my order on its way",
            "status of my request", "did you get my order", "when will it be delivered",
            "check my order", "any update on my order", "where's my parcel",
            "what's the status of my enquiry", "has my request been processed",
        ],
        "responses": ["Let me look that up for you."],
        "actions": ["lead_status"],
    },
    {
        "name": "complaint",
        "description": "Something went wrong; a person should look at it.",
        "phrases": [
            "i want to complain", "this is unacceptable", "very disappointed",
            "terrible service", "i'm not happy", "the product is broken", "i want a refund",
            "worst experience ever", "you ruined my order", "i'm angry", "complaint",
            "nobody answered my emails", "it arrived damaged", "you overcharged me",
            "this is a disgrace", "i've been waiting for weeks", "rude staff",
            "poor quality",
        ],
        "responses": [
            "I'm sorry about that. I'm passing this to a person at {business} right now; "
            "they will reply here.",
        ],
        "actions": ["handover"],
        "role": "complaint",
    },
    {
        "name": "human",
        "description": "The visitor asks for a person.",
        "phrases": [
            "can i talk to a human", "speak to a person", "real person please", "agent",
            "i want to speak to someone", "human please", "connect me to staff",
            "talk to a manager", "is there a real person", "operator", "let me talk to support",
            "i don't want a bot", "customer service representative", "put me through",
            "can a person help me", "transfer me", "speak to the owner",
            "stop the bot",
        ],
        "responses": [
            "Sure. I've asked a person at {business} to take over; they'll reply here.",
        ],
        "actions": ["handover"],
        "role": "handover",
    },
    {
        "name": "leave_details",
        "description": "The visitor leaves an email or phone number to be contacted.",
        "phrases": [
            "my email is", "you can reach me at", "here is my number", "my phone number is",
            "contact me at", "email me", "my details", "send me an email",
            "you can email me on", "call me on", "text me at", "this is my email",
            "reach me by email", "my contact details are", "get in touch with me",
            "keep me posted by email", "i'll leave my email", "please contact me",
        ],
        "responses": [
            "Thanks! Leave your email or phone number and {business} will get back to you.",
        ],
        "actions": ["capture_lead"],
    },
    {
        "name": "out_of_scope",
        "description": "Unrelated questions the bot should not try to answer.",
        "phrases": [
            "what's the weather like", "tell me a joke", "who won the football",
            "what is the capital of france", "write me a poem", "what's 2+2",
            "who is the president", "recommend a movie", "what's the meaning of life",
            "can you do my homework", "translate this to spanish", "what is bitcoin worth",
            "how tall is mount everest", "sing a song", "what's your favourite colour",
            "who made you", "explain quantum physics", "best pizza recipe",
            "how do i fix my car", "what time is it in tokyo", "play some music",
            "are you alive", "what's the news today", "how do i lose weight",
        ],
        "responses": [
            "Sorry, I can't help with that here. I can answer questions about {business}, or "
            'pass you to a person: just say "person".',
        ],
        "actions": [],
        "role": "out_of_scope",
    },
]  # fmt: skip
