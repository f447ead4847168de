"""Deutsch: Social-Media-Beiträge, Anzeigen, Videoskripte und Bannerzeilen (Sie-Form)."""

HOOK = {
    "lead_generation": [
        "Sie suchen {product} in {location}?",
        "Für alle in {location}, die es gut gemacht haben wollen.",
        "Sie denken über {product} nach? Sprechen wir darüber.",
        "{theme} – wir freuen uns auf Ihre Nachricht.",
    ],
    "brand_awareness": [
        "Darf ich vorstellen: {name}.",
        "Hallo {location}! Wir sind {name}.",
        "Schon mal von {name} gehört?",
        "Eine kleine Vorstellung: Das ist {name}.",
        "{theme}: Das sind wir.",
    ],
    "client_retention": [
        "Ein großes Dankeschön an alle, die {name} in diesem Jahr gewählt haben.",
        "Unsere Stammkunden sind das Herz von {name}.",
        "Neu für unsere Kunden bei {name}.",
        "Sie haben gefragt, wir haben zugehört.",
    ],
    "re_engagement": [
        "Lange nicht gesehen – schauen Sie, was es Neues bei {name} gibt.",
        "Vermissen Sie uns? Wir waren fleißig.",
        "Neu bei {name} und einen zweiten Blick wert.",
        "Länger nicht bei {name} gewesen? Darum lohnt es sich.",
    ],
    "upsell": [
        "Sie mögen {name}? Dann gefällt Ihnen auch das Nächste.",
        "Bereit, mehr aus {name} herauszuholen?",
        "Die nächste Stufe bei {name} ist da.",
        "Mehr von dem, was Sie mögen – von {name}.",
    ],
    "referral": [
        "Gute Dinge teilt man gern.",
        "Kennen Sie jemanden, dem das gefällt?",
        "Bringen Sie Freunde mit zu {name}.",
        "Das schönste Kompliment? Eine Empfehlung.",
    ],
}
BODY = [
    "{about}",
    "{value}",
    "{message}",
    "Wir sind in {location} zu Hause und für Sie da.",
    "Jeder Auftrag bekommt dieselbe Sorgfalt – ob es der erste ist oder der fünfzigste.",
    "Persönlich, aus der Region und schnell erreichbar: So arbeiten wir.",
    "Kein Callcenter, kein Aufwand – nur Menschen, die ihr Handwerk verstehen.",
]
OFFER = [
    "Diesen Monat: {offer}.",
    "Unser Angebot für Sie: {offer}.",
    "Nur für kurze Zeit: {offer}.",
]
CLOSE = [
    "{cta}: {url}",
    "{cta} → {url}",
    "{cta}. Telefon: {phone}.",
    "{cta} – schreiben Sie uns einfach.",
    "{cta}. Wir antworten innerhalb eines Tages.",
]
INSTAGRAM_CLOSE = [
    "{cta} – Link in der Bio.",
    "Mehr über den Link in unserer Bio.",
    "{cta}: Details in der Bio.",
]
TAGS = {
    "lead_generation": ["Aus der Region", "Lokal kaufen", "Kleinunternehmen"],
    "brand_awareness": ["Handgemacht", "Lokal kaufen", "Aus der Region"],
    "client_retention": ["Danke", "Gemeinschaft", "Stammkunden"],
    "re_engagement": ["Neu", "Willkommen zurück", "Lokal kaufen"],
    "upsell": ["Upgrade", "Neu", "Kundenliebling"],
    "referral": ["Freunde werben", "Weiterempfehlen", "Gemeinschaft"],
}
IMAGE_IDEA = [
    "Ein helles Foto bei Tageslicht aus dem Laden von {name}, mit dem Team im Hintergrund.",
    "Eine Nahaufnahme Ihrer Arbeit in warmen Farben, oben Platz für die Überschrift.",
    "Ein Foto einer zufriedenen Kundin in {location}, auf Augenhöhe aufgenommen.",
    "Ein Blick hinter die Kulissen: das Team von {name} bei der Arbeit.",
    "Ein ruhiges Produktfoto auf einfarbigem Hintergrund in Ihren Markenfarben.",
]
EMOJI = {
    "lead_generation": "👋",
    "brand_awareness": "✨",
    "client_retention": "💛",
    "re_engagement": "👀",
    "upsell": "🚀",
    "referral": "🤝",
}

HEADLINE = [
    "{name}",
    "{name} {location}",
    "{product} in {location}",
    "{product}",
    "{offer}",
    "{cta}",
    "Aus {location}",
    "Vertrauen in {location}",
    "Freundlich, schnell, lokal",
    "Qualität, auf die Sie zählen",
    "Ehrliche Preise",
    "Echte Menschen, schnelle Hilfe",
    "Fragen Sie uns noch heute",
    "{theme}",
    "Anrufen: {phone}",
    "Jetzt Neues entdecken",
    "Beliebt in der Region",
    "Jetzt Termin sichern",
    "Familiengeführt und lokal",
]
DESCRIPTION = [
    "{name} aus {location}: {product}. {cta}.",
    "{value} {cta}.",
    "{about} {cta}.",
    "{offer} bei {name}. {cta} – Antwort innerhalb eines Tages.",
    "Persönlich, aus der Region und schnell erreichbar: {name}.",
    "{message} Sprechen Sie noch heute mit {name}.",
    "Freundliche Menschen, faire Preise und Arbeit, auf die wir stolz sind.",
    "Aus {location}, für {location}: {name}.",
]
META_PRIMARY = [
    "{hook} {name} ist für Sie da. {cta}.",
    "{hook} {offer} bei {name}.",
    "{value} {name} freut sich auf Sie.",
    "{hook} Persönlich, freundlich und schnell: {name}.",
    "{name}: {product} in {location}. {cta}.",
]
META_HEADLINE = ["{offer}", "{product} in {location}", "{name}, {location}", "{name}", "{cta}"]
META_DESCRIPTION = [
    "{offer}",
    "Persönlich und freundlich",
    "Schnelle Antworten",
    "Aus {location}",
    "{cta}",
]

VISUAL = {
    "hook": [
        "Nahaufnahme, schneller Schnitt",
        "Eine Kundin betritt den Laden von {name}",
        "Straßenansicht von {location}, dann das Schild von {name}",
    ],
    "desire": [
        "Das Gesicht einer Kundin beim Ausprobieren",
        "Alltagsmoment: jemand sucht nach einer Lösung",
        "Hände bei der Arbeit",
    ],
    "show": [
        "Das Team von {name} bei der Arbeit, drei schnelle Einstellungen",
        "Das Angebot aus drei Blickwinkeln",
        "Vorher und nachher, nebeneinander",
    ],
    "proof": [
        "Ein zufriedener Kunde spricht in die Kamera",
        "Stammkunden grüßen in die Kamera",
        "Ein voller Tag bei {name}",
    ],
    "offer": [
        "Produktbild mit dem Angebot im Bild",
        "Das Team hält ein Schild mit dem Angebot hoch",
        "Das Angebot auf ruhigem Hintergrund",
    ],
    "cta": [
        "Logo von {name} auf Markenfarbe, darunter die Website",
        "Das Team winkt an der Tür",
        "Ladenfront von {name} mit Logo",
    ],
}
ON_SCREEN = {
    "hook": ["{product} in {location}?", "Das ist {name}", "{theme}", "Hallo {location}!"],
    "desire": ["Gemacht für Sie", "Es darf einfach sein", "Sie verdienen mehr"],
    "show": ["Mit Sorgfalt gemacht", "Persönlich. Lokal. Schnell.", "Qualität aus {location}"],
    "proof": [
        "Beliebt in {location}",
        "Unsere Kunden sagen es am besten",
        "Echte Menschen, echte Ergebnisse",
    ],
    "offer": ["{offer}", "Nur für kurze Zeit", "Nur für Sie"],
    "cta": ["{cta}", "{url}", "{name}"],
}
VOICE_OVER = {
    "hook": [
        "Sie suchen {product} in {location}?",
        "Das ist {name}.",
        "Hallo {location}!",
        "Darf ich vorstellen: {name}.",
    ],
    "desire": [
        "Sie wünschen sich Menschen, die zuhören und sich kümmern.",
        "{value}",
        "{message}",
        "Sie verdienen echte Qualität.",
    ],
    "show": [
        "Bei {name} bekommt jeder Auftrag unsere volle Aufmerksamkeit.",
        "Ob groß oder klein – wir nehmen uns Zeit.",
        "{about}",
    ],
    "proof": [
        "Deshalb kommen so viele Menschen in {location} immer wieder.",
        "Unsere Stammkunden sagen es am besten: freundlich, schnell, zuverlässig.",
        "Fragen Sie in {location} herum – man kennt uns.",
    ],
    "offer": [
        "Jetzt neu: {offer}.",
        "Und nur für kurze Zeit: {offer}.",
        "Probieren Sie es aus – Sie merken den Unterschied.",
    ],
    "cta": ["{cta}. {name}.", "{name}. {cta}.", "Besuchen Sie {name} noch heute."],
}

BANNER_HEADLINE = [
    "{offer}",
    "{product} in {location}",
    "Das ist {name}",
    "{theme}",
    "Hallo {location}!",
    "Qualität aus {location}",
]
BANNER_SUBLINE = [
    "{value}",
    "{name} · {location}",
    "{message}",
    "Persönlich, freundlich und schnell erreichbar",
]
