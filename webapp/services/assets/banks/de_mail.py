"""Deutsch: Handlungsaufrufe, E-Mail-Serien und Radiospots (Sie-Form)."""

CTA = {
    "lead_generation": "Jetzt Kontakt aufnehmen",
    "brand_awareness": "Jetzt entdecken",
    "client_retention": "Neuheiten ansehen",
    "re_engagement": "Schauen Sie wieder vorbei",
    "upsell": "Jetzt mehr herausholen",
    "referral": "Freunde einladen",
}
GREETING = "Hallo {{firstName|zusammen}},"
SIGN_OFF = [
    "Viele Grüße\nIhr Team von {name}",
    "Herzliche Grüße\n{name}",
    "Bis bald\nIhr {name}-Team",
]
REPLY = "Antworten Sie einfach auf diese E-Mail – wir melden uns persönlich bei Ihnen."
CALL = "Lieber telefonieren? Rufen Sie uns an: {phone}."
LINK = "{cta}: {url}"

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
        "Willkommen bei {name}",
        "Schön, Sie kennenzulernen – {name}",
        "{name}: {product} in {location}",
        "Das macht {name} für Sie",
        "{theme} bei {name}",
    ],
    "value": [
        "Warum Kunden sich für {name} entscheiden",
        "Was unser Angebot besonders macht",
        "Ein genauerer Blick auf {name}",
        "So macht {name} es Ihnen leicht",
        "Drei Gründe für {name}",
    ],
    "offer": [
        "{offer} bei {name}",
        "Unser Angebot für Sie: {offer}",
        "Etwas für Sie von {name}",
        "{theme}: unser Angebot für Sie",
        "Ein kleines Dankeschön von {name}",
    ],
    "reminder": [
        "Letzte Erinnerung: {offer}",
        "Noch unentschlossen?",
        "Nicht verpassen bei {name}",
        "Eine kurze Erinnerung von {name}",
        "Bevor es endet: {offer}",
    ],
    "thanks": [
        "Danke von {name}",
        "Danke, dass Sie bei {name} sind",
        "Wir wissen Sie zu schätzen",
        "Ein Dankeschön vom ganzen Team von {name}",
    ],
    "miss_you": [
        "Wir vermissen Sie bei {name}",
        "Lange nicht gesehen",
        "Es ist eine Weile her",
        "Neues bei {name}",
        "Kommen Sie wieder zu {name}",
    ],
    "upgrade": [
        "Holen Sie mehr aus {name} heraus",
        "Bereit für den nächsten Schritt?",
        "Mehr Wert für Sie",
        "Ein Upgrade, gemacht für Sie",
    ],
    "invite": [
        "Empfehlen Sie {name} weiter",
        "Kennen Sie jemanden, dem das gefällt?",
        "Bringen Sie Freunde mit zu {name}",
        "Gute Dinge teilt man gern",
    ],
}
PREHEADER = {
    "intro": [
        "Wer wir sind, was wir tun und warum es Ihnen nützt.",
        "Ein kurzes Hallo und was Sie von uns erwarten dürfen.",
        "{value}",
    ],
    "value": [
        "{value}",
        "Was unsere Kunden am meisten schätzen.",
        "Auf die Details kommt es an.",
        "Ehrliche Antworten auf häufige Fragen.",
    ],
    "offer": [
        "{offer} – nur für Sie.",
        "So nutzen Sie es am besten.",
        "Unser Dankeschön fürs Mitlesen.",
    ],
    "reminder": [
        "Nur eine kurze Nachricht, bevor es endet.",
        "Falls diese E-Mail untergegangen ist.",
        "{offer} wartet noch auf Sie.",
    ],
    "thanks": [
        "Ein kurzes Dankeschön.",
        "Ohne Kunden wie Sie gäbe es uns nicht.",
        "Was als Nächstes bei {name} kommt.",
    ],
    "miss_you": [
        "Das hat sich seit Ihrem letzten Besuch getan.",
        "Wir würden uns freuen, Sie wiederzusehen.",
        "{offer} zum Wiedersehen.",
    ],
    "upgrade": [
        "Mehr von dem, was Sie schon mögen.",
        "{value}",
        "Sehen Sie, was die nächste Stufe bringt.",
    ],
    "invite": [
        "Gute Dinge teilt man gern.",
        "Ihre Freunde sind herzlich willkommen.",
        "{offer}, wenn Sie jemanden mitbringen.",
    ],
}
PARAGRAPHS = {
    "intro": [
        "Danke für Ihr Interesse an {name}. {about}",
        "Wir sind {name} aus {location} – und wir sind für Sie da, wenn es um {product} geht.",
        "Bei {name} konzentrieren wir uns auf eine Sache: gute Arbeit. {value}",
        "Sie hören von {name}, weil Sie mit uns in Kontakt bleiben wollten. {about}",
        "Sie suchen {product} in {location}? Dann sind Sie bei uns genau richtig.",
        "{value} Dieses Versprechen steckt hinter allem, was wir bei {name} tun.",
    ],
    "value": [
        "{value} Deshalb kommen so viele Kunden immer wieder zu uns.",
        "Man fragt uns oft, was {name} anders macht. Die kurze Antwort: Wir nehmen die Details ernst.",
        "{message} Wir machen lieber wenige Dinge richtig als viele nur halb.",
        "Jeder Auftrag bekommt dieselbe Aufmerksamkeit – ob es Ihr erster ist oder Ihr fünfzigster.",
        "Wir sind in {location} zu Hause: Sie sprechen mit echten Menschen, die schnell antworten.",
        "Unsere Kunden sagen, das Beste sei, wie einfach alles ist: Sie fragen, wir kümmern uns um den Rest.",
    ],
    "offer": [
        "Gerade jetzt erhalten Sie {offer}. So können Sie uns ganz entspannt ausprobieren.",
        "Für Sie haben wir etwas vorbereitet: {offer}. Ohne Haken und ohne Kleingedrucktes.",
        "Die Leserinnen und Leser dieser E-Mails erhalten zuerst {offer}.",
        "Wenn Sie auf den richtigen Moment gewartet haben, uns kennenzulernen: Er ist jetzt.",
        "{theme} läuft, und wir würden uns freuen, wenn Sie dabei sind.",
    ],
    "reminder": [
        "Eine kurze Erinnerung: {offer} gibt es nicht mehr lange.",
        "Postfächer sind voll, deshalb hier ein freundlicher Hinweis auf {offer}.",
        "Wenn Sie sich ohnehin melden wollten, ist jetzt ein guter Zeitpunkt.",
        "Ganz ohne Druck – wir wollten nur sichergehen, dass Sie es nicht verpassen.",
        "Dies ist die letzte E-Mail dieser Reihe, deshalb fassen wir uns kurz.",
    ],
    "thanks": [
        "Danke, dass Sie sich für {name} entschieden haben. Kunden wie Sie sind der Grund, warum wir unsere Arbeit lieben.",
        "Wir möchten uns einfach einmal für Ihr Vertrauen in {name} bedanken.",
        "Ein Geschäft in {location} macht nur Freude dank Menschen wie Ihnen.",
        "Es bedeutet uns viel, dass Sie {name} gewählt haben.",
    ],
    "miss_you": [
        "Es ist eine Weile her, seit wir von Ihnen gehört haben – wir vermissen Sie bei {name}.",
        "Seit Ihrem letzten Besuch hat sich bei {name} einiges getan, und wir zeigen es Ihnen gern.",
        "Es ist schon etwas Zeit vergangen, deshalb wollten wir einfach Hallo sagen.",
        "Wenn beim letzten Mal etwas nicht gepasst hat, antworten Sie einfach. Wir lesen jede Nachricht.",
    ],
    "upgrade": [
        "Sie kennen uns bereits. Hier erfahren Sie, wie Sie noch mehr aus {name} herausholen.",
        "Viele unserer Stammkunden sind schon eine Stufe weiter gegangen – und sagen, es hat sich gelohnt.",
        "{value} Der nächste Schritt gibt Ihnen noch mehr davon.",
        "Wenn Sie bisher zufrieden waren, wird Ihnen das Nächste noch besser gefallen.",
    ],
    "invite": [
        "Kennen Sie jemanden, dem {name} genauso gefallen würde wie Ihnen? Empfehlen Sie uns gern weiter.",
        "Das schönste Kompliment für uns ist eine Empfehlung an Freunde.",
        "Bringen Sie jemanden zu {name} mit, und Sie erhalten beide {offer}.",
        "Die meisten unserer Kunden kamen durch eine Empfehlung zu uns. Vielleicht auch Ihre Freunde?",
    ],
}

VOICE = {
    "hook": [
        "Sie suchen {product} in {location}?",
        "Gute Nachrichten für alle in {location}!",
        "Aufgepasst, {location}!",
        "{theme} ist da.",
    ],
    "about": [
        "{name} ist Ihre Adresse für {product}.",
        "{name} ist für Sie da.",
        "{name} aus {location} kümmert sich darum.",
    ],
    "value": [
        "{value}",
        "{message}",
        "Wir kümmern uns um die Details, damit Sie es nicht müssen.",
        "Freundliche Menschen, faire Preise und Arbeit, auf die wir stolz sind.",
        "Echte Menschen, schnelle Antworten und kein Aufwand.",
    ],
    "offer": [
        "Jetzt neu: {offer}.",
        "Und nur für kurze Zeit: {offer}.",
        "Nicht verpassen: {offer}.",
    ],
    "cta": [
        "Besuchen Sie {url_spoken}.",
        "Rufen Sie uns an: {phone}.",
        "Mehr unter {url_spoken}.",
        "Kommen Sie einfach vorbei.",
    ],
    "close": ["{name}. {cta}.", "Das ist {name}. Wir freuen uns auf Sie.", "{name} – bis bald."],
    "more": [
        "Jeder Auftrag bekommt dieselbe Sorgfalt, ob groß oder klein.",
        "Sie sprechen mit echten Menschen, nicht mit einem Callcenter.",
        "Fragen? Wir antworten verständlich.",
        "Fragen Sie uns alles – es gibt keine dummen Fragen.",
        "Wir sind stolz auf unsere Arbeit, und das merkt man.",
        "Gute Arbeit braucht Zeit, und die nehmen wir uns.",
        "Wir freuen uns auf Sie.",
    ],
}
