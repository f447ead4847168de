"""Forms and widgets shared by several areas."""

from __future__ import annotations

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.widgets import Select
from wtforms.widgets.core import clean_key


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change something."""


def attributes(**kwargs) -> str:
    """What WTForms' `html_params` writes (keys sorted, True bare, False left out), built as
    plain strings: `html_params` formats each attribute through `Markup.format`, whose
    Python-level formatter costs more than the rest of an option."""
    parts = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            parts.append(clean_key(key))
        elif value is not False:
            parts.append(f'{clean_key(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return " ".join(parts)


class QuickSelect(Select):
    """WTForms' select, its options written by `attributes`: the same HTML, several times
    faster for a list of filters rendered on every visit."""

    @classmethod
    def render_option(cls, choice, **kwargs) -> Markup:
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        options = {"value": value, **(choice.render_kw or {}), **kwargs}
        if choice.selected:
            options["selected"] = True
        label = escape(choice.label or choice.value)
        return Markup(f"<option {attributes(**options)}>{label}</option>")
