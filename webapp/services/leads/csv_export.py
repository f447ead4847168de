"""CSV export of the lead inbox, streamed a chunk at a time, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import tzinfo

# CSV injection. A spreadsheet reads a cell as a formula when it starts with = + - or @
# (leading spaces or a quote around it do not stop Excel or LibreOffice). Where a cell
# starts depends on the reader: a comma file opened in a `;` locale (German, French Excel)
# or a tab one is split at those characters too, and a quoted line break starts a new row
# for a reader that ignores quotes. So every piece of a cell after , ; tab CR or LF is
# checked, and a piece a spreadsheet would turn into a formula gets a ' before its first
# character (text to every spreadsheet). A negative number (-5, -12.5) is read as a number,
# not a formula, so it stays as it is; "+14155550100" becomes the formula =+14155550100
# (the + and any leading zero lost), so an E.164 phone keeps its quote and other phones
# (0044 20…, (415) 555-0100) never get one.
SEPARATORS = re.compile(r"([,;\t\r\n])")
FORMULA_START = re.compile(r"^([\s\"]*)([=+\-@])")
NEGATIVE_NUMBER = re.compile(r"^\s*-\d+(\.\d+)?\s*$")

EXPORT_HEADER = [
    "id",
    "name",
    "email",
    "phone",
    "company",
    "source",
    "status",
    "score",
    "score_reasons",
    "timezone",
    "created_at",
    "notes",
]


def _safe_piece(piece: str) -> str:
    if NEGATIVE_NUMBER.match(piece):
        return piece
    return FORMULA_START.sub(r"\1'\2", piece, count=1)


def safe_cell(value: object) -> str:
    """The cell as text, with a ' before each part a spreadsheet could read as a formula:
    the start of the cell, or the start of a piece after a separator (see SEPARATORS)."""
    text = "" if value is None else str(value)
    return "".join(_safe_piece(piece) for piece in SEPARATORS.split(text))


def export_csv(leads: Iterable, tz: tzinfo) -> Iterator[str]:
    """The CSV text of `leads`, a chunk at a time (header first), times in `tz`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    for n, lead in enumerate(leads, 1):
        reasons = "; ".join(f"{r['points']:+d} {r['reason']}" for r in (lead.score_reasons or []))
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    lead.id,
                    lead.full_name,
                    lead.email,
                    lead.phone,
                    lead.company,
                    lead.source,
                    lead.status,
                    lead.score,
                    reasons,
                    lead.timezone,
                    lead.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    lead.notes,
                )
            ]
        )
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
