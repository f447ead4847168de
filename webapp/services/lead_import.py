"""CSV import (upload, preview with a column mapping, import in batches) and CSV export.

An upload is kept as a file under the instance folder with a small JSON state beside it
(mapping, next row, counts, bad rows), so an import of 50,000 rows runs as a series of
short batches, each its own transaction, and can be resumed if the page was closed.
Row numbers are the ones a spreadsheet shows: the header is row 1.

Every row goes through `capture_lead`, so normalising, merging and scoring are the same
as for a form or the API; a bad row is reported and skipped, the good ones are kept.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import secrets
import time as _time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from webapp.services.activity import log_activity
from webapp.services.errors import DomainError, NotFound
from webapp.services.leads import LeadInvalid, capture_leads

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
PREVIEW_ROWS = 10
BATCH_ROWS = 500
MAX_REPORTED_ERRORS = 1000
KEEP_UPLOADS = timedelta(days=2)
FIELDS = {
    "ignore": "Ignore this column", "name": "Full name", "first": "First name", "last": "Last name",
    "email": "Email", "phone": "Phone", "company": "Company", "source": "Source",
    "timezone": "Time zone", "country": "Country",
}
HEADER_ALIASES = {
    "name": {"name", "full name", "fullname", "contact", "contact name", "customer", "customer name", "lead name"},
    "first": {"first name", "firstname", "first", "given name", "forename"},
    "last": {"last name", "lastname", "last", "surname", "family name"},
    "email": {"email", "e mail", "email address", "mail", "e mail address"},
    "phone": {"phone", "phone number", "mobile", "mobile number", "tel", "telephone", "cell", "whatsapp"},
    "company": {"company", "company name", "organisation", "organization", "business", "account"},
    "source": {"source", "lead source", "channel", "utm source"},
    "timezone": {"timezone", "time zone", "tz"},
    "country": {"country", "country code"},
}
DATA_KEYS = {"first": "first_name", "last": "last_name"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class ImportFileError(DomainError):
    """The file cannot be imported (too big, not text, no rows)."""


@dataclass
class Preview:
    headers: list[str]
    rows: list[list[str]]
    mapping: list[str]
    delimiter: str
    total_rows: int


@dataclass
class ImportState:
    org_id: int
    filename: str
    mapping: list[str] = field(default_factory=list)
    started: bool = False
    next_row: int = 2  # the spreadsheet row to read next (the header is row 1)
    total_rows: int = 0
    created: int = 0
    merged: int = 0
    failed: int = 0
    blank: int = 0
    errors: list[list] = field(default_factory=list)  # [row number, message]
    done: bool = False
    finished_at: str | None = None

    @property
    def processed(self) -> int:
        return self.next_row - 2

    @property
    def percent(self) -> int:
        return 100 if self.done or not self.total_rows else min(99, self.processed * 100 // self.total_rows)


# --- the files -------------------------------------------------------------------------------


class ImportStore:
    """Uploaded files and their import state under one folder (instance/imports)."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def _paths(self, org_id: int, token: str) -> tuple[Path, Path]:
        if not TOKEN_RE.match(token or ""):
            raise NotFound("No such import.")
        base = self.folder / f"{int(org_id)}-{token}"
        return base.with_suffix(".csv"), base.with_suffix(".json")

    def save_upload(self, org_id: int, filename: str, stream: BinaryIO, *, now: datetime) -> str:
        """Store an uploaded file; returns its token. Raises ImportFileError when unusable."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._prune(now)
        token = secrets.token_urlsafe(18)
        data_path, state_path = self._paths(org_id, token)
        size = 0
        with open(data_path, "wb") as out:
            while chunk := stream.read(1 << 16):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    out.close()
                    data_path.unlink(missing_ok=True)
                    raise ImportFileError(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it into parts.")
                out.write(chunk)
        if size == 0:
            data_path.unlink(missing_ok=True)
            raise ImportFileError("The file is empty. Choose a CSV file with a header row and one lead per row.")
        try:
            text_of(data_path)[:1]
        except UnicodeDecodeError as exc:
            data_path.unlink(missing_ok=True)
            raise ImportFileError("This does not look like a CSV file (it is not text). Export it as CSV and try again.") from exc
        state = ImportState(org_id=org_id, filename=Path(filename or "upload.csv").name[:120])
        self.save_state(token, state)
        return token

    def load_state(self, org_id: int, token: str) -> ImportState:
        _data, state_path = self._paths(org_id, token)
        if not state_path.exists():
            raise NotFound("No such import; it may have expired. Upload the file again.")
        state = ImportState(**json.loads(state_path.read_text()))
        if state.org_id != org_id:
            raise NotFound("No such import.")
        return state

    def save_state(self, token: str, state: ImportState) -> None:
        _data, state_path = self._paths(state.org_id, token)
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state)))
        os.replace(tmp, state_path)

    def data_path(self, org_id: int, token: str) -> Path:
        path, _state = self._paths(org_id, token)
        if not path.exists():
            raise NotFound("No such import; it may have expired. Upload the file again.")
        return path

    @contextmanager
    def locked(self, org_id: int, token: str) -> Iterator[None]:
        """Only one request works on an import at a time (a second tab just sees progress)."""
        path = self.data_path(org_id, token)
        with open(path.with_suffix(".lock"), "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise ImportBusy() from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _prune(self, now: datetime) -> None:
        cutoff = now.timestamp() - KEEP_UPLOADS.total_seconds()
        for path in self.folder.glob("*-*.*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass


class ImportBusy(DomainError):
    """Another request is importing this file right now."""


# --- reading ---------------------------------------------------------------------------------


def text_of(path: Path) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped), else Windows-1252."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if b"\x00" in raw[:4096]:
            raise
        return raw.decode("cp1252", errors="replace")


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
        found = next((f for f, names in HEADER_ALIASES.items() if key in names and f not in used), "ignore")
        if found != "ignore":
            used.add(found)
        mapping.append(found)
    return mapping


def preview(store: ImportStore, org_id: int, token: str) -> Preview:
    path = store.data_path(org_id, token)
    delimiter, rows = _rows(path)
    headers = next(rows, None)
    if not headers or not any(h.strip() for h in headers):
        raise ImportFileError("The file has no header row. The first row must name the columns, such as “name, email, phone”.")
    sample, total = [], 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        total += 1
        if len(sample) < PREVIEW_ROWS:
            sample.append(row + [""] * (len(headers) - len(row)))
    if total == 0:
        raise ImportFileError("The file has a header row but no leads under it.")
    return Preview(headers=[h.strip() for h in headers], rows=sample, mapping=detect_mapping(headers),
                   delimiter=delimiter, total_rows=total)


def validate_mapping(mapping: list[str], width: int) -> list[str]:
    """The mapping as given, or DomainError when it cannot make leads."""
    if len(mapping) != width or any(m not in FIELDS for m in mapping):
        raise DomainError("Choose what each column holds.")
    chosen = [m for m in mapping if m != "ignore"]
    duplicates = sorted({FIELDS[m] for m in chosen if chosen.count(m) > 1})
    if duplicates:
        raise DomainError(f"Each field can come from one column only: {', '.join(duplicates)} is chosen twice.")
    if "email" not in chosen and "phone" not in chosen:
        raise DomainError("Choose the column with the email or the phone number: a lead needs one of them.")
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
    session: Session, store: ImportStore, token: str, state: ImportState, *, now: datetime,
    actor_id: int | None, actor_name: str, commit, budget_seconds: float = 3.0,  # noqa: ANN001
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


def _import_batch(session: Session, state: ImportState, batch: list[tuple[int, list[str]]], *, now: datetime,
                  actor_id: int | None) -> None:
    lines, rows = [], []
    for line, cells in batch:
        if not any(cell.strip() for cell in cells):
            state.blank += 1
            continue
        lines.append(line)
        rows.append(row_data(cells, state.mapping))
    if not rows:
        return
    outcomes = capture_leads(session, state.org_id, rows, source="csv", now=now, actor_id=actor_id, log=False)
    for line, outcome in zip(lines, outcomes, strict=True):
        if isinstance(outcome, LeadInvalid):
            state.failed += 1
            if len(state.errors) < MAX_REPORTED_ERRORS:
                state.errors.append([line, "; ".join(outcome.errors.values())])
        elif outcome.created:
            state.created += 1
        else:
            state.merged += 1


def _summary(session: Session, state: ImportState, *, now: datetime, actor_id: int | None, actor_name: str) -> None:
    log_activity(
        session, state.org_id, "leads.imported",
        f"{actor_name} imported “{state.filename}”: {state.created} new lead{'s' if state.created != 1 else ''}, "
        f"{state.merged} merged into existing ones, {state.failed} row{'s' if state.failed != 1 else ''} with errors.",
        now=now, actor_id=actor_id,
        details={"file": state.filename, "created": state.created, "merged": state.merged,
                 "failed": state.failed, "blank": state.blank},
    )


# --- export ----------------------------------------------------------------------------------

EXPORT_HEADER = ["id", "name", "email", "phone", "company", "source", "status", "score", "score_reasons",
                 "timezone", "created_at", "notes"]


def safe_cell(value: object) -> str:
    """The cell as text, with a leading quote when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_csv(leads: Iterable, tz) -> Iterator[str]:  # noqa: ANN001
    """The CSV text of `leads`, a chunk at a time (header first), times in `tz`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    for n, lead in enumerate(leads, 1):
        reasons = "; ".join(f"{r['points']:+d} {r['reason']}" for r in (lead.score_reasons or []))
        writer.writerow([safe_cell(v) for v in (
            lead.id, lead.full_name, lead.email, lead.phone, lead.company, lead.source, lead.status,
            lead.score, reasons, lead.timezone, lead.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), lead.notes,
        )])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
