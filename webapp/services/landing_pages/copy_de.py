"""German phrasings for the landing-page writer (copy.py), addressing the visitor as "Sie".
Same placeholders and rules as copy_en.py."""

HEADLINES = {
    "lead_generation": [
        "{Offer} bei {name}",
        "Unterstützung für {audience}, von {name}",
        "Sagen Sie uns, was Sie brauchen. {name} meldet sich mit einem klaren Plan.",
        "Sie suchen Hilfe in {location}? Fragen Sie {name}.",
        "Ein klares Angebot von {name}, ohne langes Hinterhertelefonieren",
        "{name} erledigt es für {audience}, und zwar richtig",
    ],
    "brand_awareness": [
        "Lernen Sie {name} kennen",
        "{name}, direkt bei Ihnen in {location}",
        "{name}: gemacht für {audience}",
        "Neu in {location} und schon ein Lieblingsort: {name}",
        "Warum alle über {name} sprechen",
    ],
    "client_retention": [
        "Danke, dass Sie sich für {name} entschieden haben",
        "Ein kleines Dankeschön für unsere Stammkunden: {offer}",
        "Sie gehören zur {name}-Familie",
        "Zuerst für unsere Kunden: Neues von {name}",
    ],
    "re_engagement": [
        "Wir haben Sie bei {name} vermisst",
        "Kommen Sie zurück zu {name}: {offer}",
        "Lange nicht gesehen. Das ist neu bei {name}.",
        "Ihr Platz bei {name} ist noch frei",
    ],
    "upsell": [
        "Holen Sie mehr aus {name} heraus",
        "Bereit für den nächsten Schritt mit {name}?",
        "Sie kennen {name}. Das können wir noch für Sie tun.",
        "Mehr von {name}: {offer}",
    ],
    "referral": [
        "Kennen Sie jemanden, dem {name} gefallen würde?",
        "Empfehlen Sie {name} weiter: {offer}",
        "Gutes teilt man gern. Bringen Sie eine Freundin oder einen Freund zu {name}.",
        "Ihre Freunde in {location} werden Ihnen für {name} danken",
    ],
}

SUBLINES = {
    "lead_generation": [
        "{description} Hinterlassen Sie Ihre Kontaktdaten, wir melden uns innerhalb eines Werktags.",
        "{value} Erzählen Sie uns kurz, worum es geht; das erste Gespräch ist kostenlos.",
        "Für {audience} in {location}: ein kurzes Formular, und ein Mensch von {name} antwortet.",
        "{Offer}, wenn Sie sich über diese Seite melden. Unverbindlich und ohne Verkaufsdruck.",
        "Ein kurzes Formular, eine persönliche Antwort von {name}, völlig unverbindlich.",
    ],
    "brand_awareness": [
        "{description} Überzeugen Sie sich selbst.",
        "{value} Tragen Sie Ihre E-Mail-Adresse ein und erfahren Sie als Erste, was es Neues gibt.",
        "Wir sind {name} und machen vieles für {audience} ein bisschen anders.",
        "Ein Betrieb aus der Region mit viel Herzblut. Sagen Sie Hallo, wir freuen uns auf Sie.",
    ],
    "client_retention": [
        "Kundinnen und Kunden wie Sie machen {name} aus. {Offer}, nur für Sie.",
        "{value} Als Dankeschön haben wir etwas für Sie zurückgelegt.",
        "Unsere besten Angebote heben wir für die auf, die uns schon kennen. Hier ist Ihres.",
    ],
    "re_engagement": [
        "Seit Ihrem letzten Besuch hat sich bei {name} viel getan. {Offer} zur Begrüßung.",
        "{description} Wir würden uns freuen, Sie wiederzusehen.",
        "Ohne Haken: Sagen Sie uns, dass Sie Interesse haben, und wir schicken Ihnen die Details.",
    ],
    "upsell": [
        "{value} So holen Sie noch mehr heraus.",
        "{Offer} für bestehende Kunden, die mehr wollen.",
        "Sagen Sie uns, wovon Sie mehr möchten, und wir schlagen Ihnen die passende Option vor.",
    ],
    "referral": [
        "Empfehlen Sie {name} weiter. {Offer}.",
        "{value} Geben Sie es an jemanden weiter, der es brauchen kann.",
        "Schicken Sie uns die Kontaktdaten (mit deren Einverständnis), wir kümmern uns gut darum.",
    ],
}

CTAS = {
    "lead_generation": [
        "Kostenloses Angebot anfordern",
        "Rückruf anfordern",
        "{name} fragen",
        "Anfrage senden",
    ],
    "brand_awareness": ["Auf dem Laufenden bleiben", "Hallo sagen", "Neuigkeiten erhalten"],
    "client_retention": ["Dankeschön sichern", "Kundenangebot sichern", "Ja, das möchte ich"],
    "re_engagement": ["Zurückkommen", "Zeigen Sie mir das Neue", "Angebot sichern"],
    "upsell": ["Optionen ansehen", "Mehr erfahren", "Upgrade anfragen"],
    "referral": ["Jetzt empfehlen", "{name} weiterempfehlen", "Einladung senden"],
}

BENEFITS_TITLES = [
    "Warum {name}",
    "Das bekommen Sie bei {name}",
    "Warum sich Kunden für {name} entscheiden",
    "Gute Gründe, sich zu melden",
]
MESSAGE_TITLES = ["Unser Versprechen", "Wofür wir stehen", "Darauf können Sie sich verlassen"]

BENEFITS = {
    "lead_generation": [
        (
            "Klarer Preis vorab",
            "Sie erhalten ein schriftliches Angebot, bevor es losgeht. Keine Überraschungen.",
        ),
        ("Schnelle Antwort", "Wir antworten innerhalb eines Werktags, meistens schneller."),
        (
            "Beratung, die passt",
            "Wir fragen erst nach, damit unser Vorschlag zu Ihnen passt und nicht zu einer Vorlage.",
        ),
        ("{Offer}", "Melden Sie sich über diese Seite, und {offer} gehört Ihnen."),
    ],
    "brand_awareness": [
        ("Gemacht für {audience}", "Bei allem, was wir tun, denken wir an {audience}."),
        (
            "Aus {location}",
            "Wir sitzen in {location} und sind nie weit weg, wenn Sie uns brauchen.",
        ),
        (
            "Echte Menschen",
            "Sie sprechen mit denen, die die Arbeit machen, nicht mit einem Callcenter.",
        ),
    ],
    "client_retention": [
        ("Sie erfahren es zuerst", "Unsere Kunden hören von Neuem vor allen anderen."),
        ("{Offer}", "Unser Dankeschön fürs Wiederkommen: {offer}."),
        ("Wir kennen Sie", "Sie müssen nicht alles neu erklären; wir wissen, was Sie mögen."),
    ],
    "re_engagement": [
        ("Was neu ist", "Neue Ideen, besserer Service, dieselben Menschen dahinter."),
        ("{Offer}", "Zur Begrüßung: {offer}."),
        (
            "Einfacher Neustart",
            "Machen Sie da weiter, wo Sie aufgehört haben; eine Nachricht genügt.",
        ),
    ],
    "upsell": [
        (
            "Mehr von dem, was funktioniert",
            "Bauen Sie auf dem auf, was Sie schon nutzen, ohne neu anzufangen.",
        ),
        ("{Offer}", "Nur für bestehende Kunden: {offer}."),
        ("Ehrliche Beratung", "Wenn das Upgrade nicht zu Ihnen passt, sagen wir es Ihnen."),
    ],
    "referral": [
        ("{Offer}", "Wenn sich Ihre Bekannten über diese Seite melden: {offer}."),
        ("Gut aufgehoben", "Ihre Bekannten bekommen dieselbe Sorgfalt, die Sie von uns kennen."),
        ("Einfach weitergeben", "Ein kurzes Formular genügt."),
    ],
    "any": [
        (
            "Persönlich und aus der Region",
            "Hinter {name} stehen Menschen, denen {location} am Herzen liegt.",
        ),
        ("Was wir machen", "{description}"),
        ("Unser Unterschied", "{value}"),
        ("Erreichbar", "Lieber telefonieren? Rufen Sie uns an: {phone}."),
        ("Unverbindlich", "Erst fragen, dann entscheiden. Kein Druck, kein Kleingedrucktes."),
        (
            "Ihre Daten bleiben privat",
            "Wir nutzen sie nur, um Ihnen zu antworten, und geben sie nie weiter.",
        ),
        ("Ein Mensch antwortet", "Ihre Nachricht geht direkt an das Team von {name}."),
    ],
}

TESTIMONIALS_TITLE = "Das sagen unsere Kunden"
FAQ_TITLE = "Fragen und Antworten"

FAQ = {
    "lead_generation": [
        ("Kostet das Angebot etwas?", "Nein. Das Angebot ist kostenlos und unverbindlich."),
        ("Wie schnell höre ich von Ihnen?", "Innerhalb eines Werktags, oft noch am selben Tag."),
        ("Was genau ist das Angebot?", "{Offer}. Es gilt, wenn Sie sich über diese Seite melden."),
    ],
    "brand_awareness": [
        ("Wer steckt hinter {name}?", "{description} Melden Sie sich und lernen Sie uns kennen."),
        (
            "Wo finde ich Sie?",
            "In {location}. Hinterlassen Sie Ihre Daten, wir schicken Ihnen den Weg.",
        ),
        (
            "Wie oft schreiben Sie mir?",
            "Nur wenn es wirklich etwas Neues gibt, höchstens ein paar Mal im Monat.",
        ),
    ],
    "client_retention": [
        (
            "Wer kann das Angebot nutzen?",
            "Bestehende Kunden von {name}. Nutzen Sie die E-Mail-Adresse, unter der wir Sie kennen.",
        ),
        ("Gibt es einen Haken?", "Nein. Es ist ein Dankeschön dafür, dass Sie Kunde sind."),
    ],
    "re_engagement": [
        (
            "Was hat sich geändert?",
            "{description} Hinterlassen Sie Ihre Daten, wir erzählen Ihnen mehr.",
        ),
        (
            "Wer bekommt {offer}?",
            "Zurückkehrende Kunden, die sich über diese Seite melden. Die Details bestätigen wir in unserer Antwort.",
        ),
        (
            "Kann ich einfach eine Frage stellen?",
            "Natürlich. Nutzen Sie das Formular, wir antworten persönlich.",
        ),
    ],
    "upsell": [
        (
            "Ändert sich an meinem jetzigen Paket etwas?",
            "Nur wenn Sie es möchten. Wir erklären Ihnen vorher jede Option.",
        ),
        (
            "Für wen ist das Upgrade?",
            "Für bestehende Kunden von {name}, die mehr von dem möchten, was sie schon mögen.",
        ),
        ("Was kostet es?", "Das hängt von Ihrer Wahl ab; Sie bekommen vorher einen klaren Preis."),
    ],
    "referral": [
        (
            "Weiß die Person, dass ich sie empfehle?",
            "Bitte fragen Sie vorher; wir melden uns nur bei Menschen, die zugestimmt haben.",
        ),
        (
            "Was bekommt die empfohlene Person?",
            "{Offer} und eine persönliche Begrüßung von {name}.",
        ),
    ],
    "any": [
        (
            "Was passiert, nachdem ich das Formular abgeschickt habe?",
            "Jemand von {name} liest es und antwortet, meist innerhalb eines Werktags.",
        ),
        ("Kann ich auch anrufen?", "Ja, unter {phone}."),
        ("Wo sind Sie zu finden?", "In {location}."),
        (
            "Was passiert mit meinen Daten?",
            "Wir nutzen sie nur, um Ihnen zu antworten. Wir verkaufen oder teilen sie nie, und Sie können jederzeit die Löschung verlangen.",
        ),
        (
            "Kann ich mich später abmelden?",
            "Ja, jede E-Mail enthält einen Abmeldelink; ein Klick genügt.",
        ),
    ],
}

FORM_TITLES = {
    "lead_generation": [
        "Kostenloses Angebot anfordern",
        "Sagen Sie uns, was Sie brauchen",
        "Rückruf anfordern",
    ],
    "brand_awareness": ["Bleiben Sie mit {name} in Kontakt", "Als Erste erfahren"],
    "client_retention": ["Ihr Dankeschön", "Ihr Kundenangebot"],
    "re_engagement": ["Willkommen zurück", "Zurück zu {name}"],
    "upsell": ["Das passende Upgrade finden", "Wovon möchten Sie mehr?"],
    "referral": ["Jemanden empfehlen", "Stellen Sie {name} jemandem vor"],
}
FORM_INTROS = [
    "Das dauert eine Minute. Wir antworten persönlich.",
    "Hinterlassen Sie Ihre Daten, wir melden uns innerhalb eines Werktags.",
    "Wir nutzen Ihre Daten nur für unsere Antwort. Lieber anrufen? {phone}.",
]
THANKS = [
    "Vielen Dank! Ihre Nachricht ist bei {name} angekommen; wir melden uns bald.",
    "Danke, ist angekommen. Jemand von {name} antwortet innerhalb eines Werktags.",
]

UI = {
    "name": "Ihr Name",
    "email": "E-Mail",
    "phone": "Telefon (optional)",
    "message": "Nachricht (optional)",
    "required": "Pflichtfeld",
    "honeypot": "Dieses Feld bitte leer lassen",
    "email_invalid": "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
    "phone_invalid": "Bitte geben Sie eine gültige Telefonnummer ein oder lassen Sie das Feld leer.",
    "rate_limited": "Gerade kommen zu viele Anfragen an. Bitte warten Sie eine Minute und versuchen Sie es erneut.",
    "check_form": "Bitte prüfen Sie das Formular.",
    "sent_title": "Vielen Dank",
    "no_cookies": "Diese Seite setzt keine Cookies und lädt nichts von anderen Websites.",
    "call": "Telefon",
    "website": "Website",
    "skip": "Zum Formular springen",
    "logo_alt": "Logo von {name}",
}
