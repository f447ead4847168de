"""Numbers from the query string, read so that no typed URL can crash a page.

`str.isdigit()` is true for "²" and "١٢", which `int()` refuses or reads, and a number
wider than 64 bits cannot be bound as a parameter (SQLite raises OverflowError): every
view reads page numbers and ids through these two helpers instead.
"""

from __future__ import annotations

from flask import request

from webapp.core.tenancy import storable_id

MAX_PAGE = 100_000


def _ascii_int(raw: str | None) -> int | None:
    if not raw or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


def page_arg(name: str = "page", *, high: int = MAX_PAGE) -> int:
    """The 1-based page number in `name`, clamped to 1..`high`; 1 when absent or not a number."""
    value = _ascii_int(request.args.get(name))
    return 1 if value is None else max(1, min(value, high))


def id_arg(name: str) -> int | None:
    """The id in `name`, or None when absent, not a whole number, or wider than an id can be."""
    value = _ascii_int(request.args.get(name))
    return value if value is not None and storable_id(value) else None
