"""Phrase banks of the offline writer, per language: lines with named facts ({name},
{product}, {location}, {offer} …) that the writers choose from with a seeded picker
(services/assets/facts.py). A line whose fact is missing is never chosen."""

from __future__ import annotations

from webapp.services.assets.banks import de_mail, de_media, en_mail, en_media

MAIL = {"en": en_mail, "de": de_mail}
MEDIA = {"en": en_media, "de": de_media}


def mail(language: str):
    return MAIL.get(language, en_mail)


def media(language: str):
    return MEDIA.get(language, en_media)
