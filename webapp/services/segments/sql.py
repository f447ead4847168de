"""SQL pieces that PostgreSQL and SQLite spell differently, each compiled per dialect so a
rule means exactly the same thing on both.

Custom attributes live in the JSON column `leads.extra`; reading one typed value needs
its JSON kind (a number 3 and the text "3" are different things to JSON) and its scalar as
text. Text compares with ASCII-only case folding, because SQLite's `lower()` folds only
ASCII: folding more on PostgreSQL would give different members for "Émile".
"""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NUMERIC_RE = r"^-?[0-9]+(\.[0-9]+)?$"  # what a number written as text must look like
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"


class json_kind(FunctionElement):
    """The JSON kind of `extra[key]`: 'string', 'number', 'boolean', 'null', or NULL when
    the key is missing (objects and arrays give other names, never used)."""

    type = String()
    name = "json_kind"
    inherit_cache = True


class json_text(FunctionElement):
    """The scalar `extra[key]` as text (a string unquoted); NULL when missing or null."""

    type = String()
    name = "json_text"
    inherit_cache = True


class looks_numeric(FunctionElement):
    """Whether a text is a plain decimal number ("-12", "3.5"): nothing else is cast."""

    type = Boolean()
    name = "looks_numeric"
    inherit_cache = True


class looks_date(FunctionElement):
    """Whether a text starts with an ISO date ("2026-11-01", "2026-11-01T10:00:00Z")."""

    type = Boolean()
    name = "looks_date"
    inherit_cache = True


class ascii_lower(FunctionElement):
    """The text with A-Z folded to a-z and every other character kept."""

    type = String()
    name = "ascii_lower"
    inherit_cache = True


class text_contains(FunctionElement):
    """Whether the first text contains the second, literally (no LIKE wildcards)."""

    type = Boolean()
    name = "text_contains"
    inherit_cache = True


def _args(element, compiler, **kw) -> list[str]:
    return [compiler.process(c, **kw) for c in element.clauses]


def _sqlite_path(key: str) -> str:
    # Keys are declared names ([A-Za-z][A-Za-z0-9_]*), bound as a parameter and quoted
    # into a path, so "a.b" could never be read as a nested key.
    return f"'$.\"' || {key} || '\"'"


@compiles(json_kind, "sqlite")
def _json_kind_sqlite(element, compiler, **kw):
    column, key = _args(element, compiler, **kw)
    return (
        f"CASE json_type({column}, {_sqlite_path(key)}) WHEN 'text' THEN 'string' "
        "WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' "
        "WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' WHEN 'null' THEN 'null' END"
    )


@compiles(json_kind, "postgresql")
def _json_kind_pg(element, compiler, **kw):
    column, key = _args(element, compiler, **kw)
    return f"json_typeof(json_extract_path(CAST({column} AS JSON), {key}))"


@compiles(json_text, "sqlite")
def _json_text_sqlite(element, compiler, **kw):
    column, key = _args(element, compiler, **kw)
    return f"CAST(json_extract({column}, {_sqlite_path(key)}) AS TEXT)"


@compiles(json_text, "postgresql")
def _json_text_pg(element, compiler, **kw):
    column, key = _args(element, compiler, **kw)
    return f"json_extract_path_text(CAST({column} AS JSON), {key})"


@compiles(looks_numeric, "sqlite")
def _looks_numeric_sqlite(element, compiler, **kw):
    (x,) = _args(element, compiler, **kw)
    # GLOB has no alternation: digits, dots and a minus only; the minus only first; at
    # most one dot; a digit first (after the minus) and last — the same language as
    # NUMERIC_RE.
    return (
        f"({x} NOT GLOB '*[^0-9.-]*' AND {x} NOT GLOB '?*-*' AND {x} NOT GLOB '*.*.*' "
        f"AND {x} GLOB '*[0-9]' AND ({x} GLOB '[0-9]*' OR {x} GLOB '-[0-9]*') "
        f"AND {x} NOT GLOB '*.' AND {x} NOT GLOB '-.*')"
    )


@compiles(looks_numeric, "postgresql")
def _looks_numeric_pg(element, compiler, **kw):
    (x,) = _args(element, compiler, **kw)
    return f"({x} ~ '{NUMERIC_RE}')"


@compiles(looks_date, "sqlite")
def _looks_date_sqlite(element, compiler, **kw):
    (x,) = _args(element, compiler, **kw)
    return f"({x} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*')"


@compiles(looks_date, "postgresql")
def _looks_date_pg(element, compiler, **kw):
    (x,) = _args(element, compiler, **kw)
    return f"({x} ~ '{DATE_RE}')"


@compiles(ascii_lower, "sqlite")
def _ascii_lower_sqlite(element, compiler, **kw):
    (x,) = _args(element, compiler, **kw)
    return f"lower({x})"  # ASCII only without the ICU extension, which we never load


@compiles(ascii_lower, "postgresql")
def _ascii_lower_pg(element, compiler, **kw):
    (x,) = _args(element, compiler, **kw)
    return f"translate({x}, '{ASCII_UPPER}', '{ASCII_UPPER.lower()}')"


@compiles(text_contains, "sqlite")
def _contains_sqlite(element, compiler, **kw):
    hay, needle = _args(element, compiler, **kw)
    return f"(instr({hay}, {needle}) > 0)"


@compiles(text_contains, "postgresql")
def _contains_pg(element, compiler, **kw):
    hay, needle = _args(element, compiler, **kw)
    return f"(strpos({hay}, {needle}) > 0)"


def fold(text: str) -> str:
    """What `ascii_lower` does, for a bound value."""
    return text.translate(str.maketrans(ASCII_UPPER, ASCII_UPPER.lower()))
