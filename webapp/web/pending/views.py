"""Sections whose features have not landed yet: an honest page saying what is coming."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("pending", __name__)

SECTIONS: dict[str, tuple[str, str]] = {}


def _section(key: str):
    title, text = SECTIONS[key]
    return render_template("pending/section.html", title=title, text=text)
