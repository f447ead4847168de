"""CSV import: upload, preview with a column mapping, import in batches (export: `csv_export`).

An upload is kept as a file under the instance folder with a small JSON state beside it
(mapping, next row, counts, bad rows), so an import of 50,000 rows runs as a series of
short batches, each its own transaction, and can be resumed if the page was closed (the
files and the state: `import_files`).
Row numbers are the ones a spreadsheet shows: the header is row 1.

Every batch goes through `capture_leads`, so normalising, merging and scoring are the same
as for a form or the API; a bad row is reported and skipped, the good ones are kept.
"""

from __future__ import annotations

import csv
import io
import re
import time as _time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path

from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.services.activity import log_activity
from webapp.services.leads.capture import LeadInvalid, capture_leads
from webapp.services.leads.import_files import ImportFileError, ImportState, ImportStore, text_of

PREVIEW_ROWS = 10
BATCH_ROWS = 500
MAX_REPORTED_ERRORS = 1000
FIELDS = {
    "ignore": "Ignore this column",
    "name": "Full name",
    "first": "First name",
    "last": "Last name",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "source": "Source",
    "timezone": "Time zone",
    "country": "Country",
}
HEADER_ALIASES = {
    "name": {
        "name",
        "full name",
        "fullname",
        "contact",
        "contact name",
        "customer",
        "customer name",
        "lead name",
    },
    "first": {"first name", "firstname", "first", "given name", "forename"},
    "last": {"last name", "lastname", "last", "surname", "family name"},
    "email": {"email", "e mail", "email address", "mail", "e mail address"},
    "phone": {
        "phone",
        "phone number",
        "mobile",
        "mobile number",
        "tel",
        "telephone",
        "cell",
        "whatsapp",
    },
    "company": {"company", "company name", "organisation", "organization", "business", "account"},
    "source": {"source", "lead source", "channel", "utm source"},
    "timezone": {"timezone", "time zone", "tz"},
    "country": {"country", "country code"},
}
DATA_KEYS = {"first": "first_name", "last": "last_name"}


@dataclass
class Preview:
    headers: list[str]
    rows: list[list[str]]
    mapping: list[str]
    delimiter: str
    total_rows: int


# --- reading ---------------------------------------------------------------------------------


def sniff_delimiter(first_line: str) -> str:
    """`;` (spreadsheets in many European locales), tab, or `,` — whichever the header uses most."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _rows(path: Path) -> tuple[str, Iterator[list[str]]]:
    content = text_of(path)
    first_line = content.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    return delimiter, csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.strip().lower()).strip()


def detect_mapping(headers: list[str]) -> list[str]:
    """A field for each column from its header ("E-mail" -> email); unknown -> ignore."""
    mapping, used = [], set()
    for header in headers:
        key = _header_key(header)
        found = next(
            (f for f, names in HEADER_ALIASES.items() if key in names and f not in used), "ignore"
        )
        if found != "ignore":
            used.add(found)
        mapping.append(found)
    return mapping


def preview(store: ImportStore, org_id: int, token: str) -> Preview:
    path = store.data_path(org_id, token)
    delimiter, rows = _rows(path)
    headers = next(rows, None)
    if not headers or not any(h.strip() for h in headers):
        raise ImportFileError(
            "The file has no header row. The first row must name the columns, such as “name, email, phone”."
        )
    sample, total = [], 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        total += 1
        if len(sample) < PREVIEW_ROWS:
            sample.append(row + [""] * (len(headers) - len(row)))
    if total == 0:
        raise ImportFileError("The file has a header row but no leads under it.")
    return Preview(
        headers=[h.strip() for h in headers],
        rows=sample,
        mapping=detect_mapping(headers),
        delimiter=delimiter,
        total_rows=total,
    )


def validate_mapping(mapping: list[str], width: int) -> list[str]:
    """The mapping as given, or DomainError when it cannot make leads."""
    if len(mapping) != width or any(m not in FIELDS for m in mapping):
        raise DomainError("Choose what each column holds.")
    chosen = [m for m in mapping if m != "ignore"]
    duplicates = sorted({FIELDS[m] for m in chosen if chosen.count(m) > 1})
    if duplicates:
        raise DomainError(
            f"Each field can come from one column only: {', '.join(duplicates)} is chosen twice."
        )
    if "email" not in chosen and "phone" not in chosen:
        raise DomainError(
            "Choose the column with the email or the phone number: a lead needs one of them."
        )
    return mapping


def start_import(store: ImportStore, org_id: int, token: str, mapping: list[str]) -> ImportState:
    state = store.load_state(org_id, token)
    if state.started:
        return state
    pv = preview(store, org_id, token)
    state.mapping = validate_mapping(mapping, len(pv.headers))
    state.total_rows, state.started = pv.total_rows, True
    store.save_state(token, state)
    return state


def row_data(row: list[str], mapping: list[str]) -> dict:
    data: dict[str, str] = {}
    for value, target in zip(row, mapping, strict=False):
        if target != "ignore" and value.strip():
            data[DATA_KEYS.get(target, target)] = value.strip()
    return data


def run_import(
    session: Session,
    store: ImportStore,
    token: str,
    state: ImportState,
    *,
    now: datetime,
    actor_id: int | None,
    actor_name: str,
    commit,
    budget_seconds: float = 3.0,
    batch_rows: int = BATCH_ROWS,
) -> ImportState:
    """Import batches of `batch_rows` rows until the file ends or `budget_seconds` passed.

    After each batch it calls `commit()` (the edge's) and then saves the state, so every
    batch is its own transaction and a stopped import resumes where it stood. The last
    batch writes one summary activity row (not one per lead).
    """
    if state.done or not state.started:
        return state
    _delimiter, reader = _rows(store.data_path(state.org_id, token))
    next(reader, None)  # the header
    numbered = ((line, row) for line, row in enumerate(reader, 2) if line >= state.next_row)
    started = _time.monotonic()
    while True:
        batch = list(islice(numbered, batch_rows))
        _import_batch(session, state, batch, now=now, actor_id=actor_id)
        if batch:
            state.next_row = batch[-1][0] + 1
        if len(batch) < batch_rows:
            state.done, state.finished_at = True, now.isoformat()
            _summary(session, state, now=now, actor_id=actor_id, actor_name=actor_name)
        commit()
        store.save_state(token, state)
        if state.done or _time.monotonic() - started >= budget_seconds:
            return state


def _import_batch(
    session: Session,
    state: ImportState,
    batch: list[tuple[int, list[str]]],
    *,
    now: datetime,
    actor_id: int | None,
) -> None:
    lines, rows = [], []
    for line, cells in batch:
        if not any(cell.strip() for cell in cells):
            state.blank += 1
            continue
        lines.append(line)
        rows.append(row_data(cells, state.mapping))
    if not rows:
        return
    outcomes = capture_leads(
        session, state.org_id, rows, source="csv", now=now, actor_id=actor_id, log=False
    )
    for line, outcome in zip(lines, outcomes, strict=True):
        if isinstance(outcome, LeadInvalid):
            state.failed += 1
            if len(state.errors) < MAX_REPORTED_ERRORS:
                state.errors.append([line, "; ".join(outcome.errors.values())])
        elif outcome.created:
            state.created += 1
        else:
            state.merged += 1


def _summary(
    session: Session, state: ImportState, *, now: datetime, actor_id: int | None, actor_name: str
) -> None:
    log_activity(
        session,
        state.org_id,
        "leads.imported",
        f"{actor_name} imported “{state.filename}”: {state.created} new lead{'s' if state.created != 1 else ''}, "
        f"{state.merged} merged into existing ones, {state.failed} row{'s' if state.failed != 1 else ''} with errors.",
        now=now,
        actor_id=actor_id,
        details={
            "file": state.filename,
            "created": state.created,
            "merged": state.merged,
            "failed": state.failed,
            "blank": state.blank,
        },
    )
