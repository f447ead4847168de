"""Input no request may crash on, refused once for every route: ids wider than an id column
(every `<int:…>` in a URL) and NUL characters (PostgreSQL cannot store them in text).

`register_input_rules(app)` runs before any blueprint registers, so every route's `<int:…>`
is an `IdConverter`. The NUL guard runs before every view and raises `NulInField`, a 400
naming the field: the error page says it for pages, and the API and the public form answer
it in their own shapes (their blueprints' handlers for `NulInField`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

from webapp.core.tenancy import MAX_ID

NUL = "\x00"
NUL_MESSAGE = "must not contain a NUL character (\\0)"


def up_to(high: int) -> str:
    """A regular expression for the whole numbers 1..`high`, without leading zeros."""
    digits = str(high)
    options = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            options.append(f"{digits[:i]}[{low}-{int(digit) - 1}]" + rf"\d{{{rest}}}")
    return "|".join([*options, digits])


class IdConverter(IntegerConverter):
    """`<int:…>`: a number above MAX_ID (or 0, or with leading zeros) matches no route, so
    it answers 404 like any id of another workspace, instead of reaching the database. The
    bound is in the pattern, not only in `to_python`: werkzeug answers 405 rather than 404
    when a failed conversion leaves another method's route of the same path matching."""

    regex = f"(?:{up_to(MAX_ID)})"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class NulInField(BadRequest):
    """A field (or its name) holds a NUL character; `field` names it."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(
            f"The field “{field}” contains an invisible NUL character (\\0), which cannot be "
            "saved. Remove it and send again."
        )


def nul_field(data: Any, name: str = "body") -> str | None:
    """The top-level field of `data` (JSON-like values) that holds a NUL character in a
    value or in a key, or None. A NUL in a key is reported as the key with it shown as \\0."""
    if isinstance(data, str):
        return name if NUL in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            key = str(key)
            if NUL in key:
                return key.replace(NUL, "\\0")
            found = nul_field(value, key if name == "body" else name)
            if found:
                return found
    elif isinstance(data, list):
        for value in data:
            found = nul_field(value, name)
            if found:
                return found
    return None


def _request_nul_field() -> str | None:
    sources: list[Any] = [request.view_args or {}, request.args.to_dict(flat=False)]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sources.append(request.form.to_dict(flat=False))
        if request.is_json:
            sources.append(request.get_json(silent=True))
    for data in sources:
        found = nul_field(data)
        if found:
            return found
    return None


def register_input_rules(app: Flask) -> None:
    """Bounded ids in every URL, and the NUL guard before every view (and before the write
    lock: a refused request takes nothing)."""
    app.url_map.converters["int"] = IdConverter

    def refuse_nul_characters() -> None:
        field = _request_nul_field()
        if field is not None:
            raise NulInField(field)

    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_characters)
