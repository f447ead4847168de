"""An uploaded CSV and its import's state, kept as files under the instance folder.

Each upload is one file with a small JSON state beside it (mapping, next row, counts, bad
rows), so a long import runs as a series of short requests and can be resumed; a lock
file keeps a second request from working on the same import at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from webapp.core.errors import DomainError, NotFound

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
KEEP_UPLOADS = timedelta(days=2)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class ImportFileError(DomainError):
    """The file cannot be imported (too big, not text, no rows)."""


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
        return (
            100
            if self.done or not self.total_rows
            else min(99, self.processed * 100 // self.total_rows)
        )


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
                    raise ImportFileError(
                        f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it into parts."
                    )
                out.write(chunk)
        if size == 0:
            data_path.unlink(missing_ok=True)
            raise ImportFileError(
                "The file is empty. Choose a CSV file with a header row and one lead per row."
            )
        try:
            text_of(data_path)[:1]
        except UnicodeDecodeError as exc:
            data_path.unlink(missing_ok=True)
            raise ImportFileError(
                "This does not look like a CSV file (it is not text). Export it as CSV and try again."
            ) from exc
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


def text_of(path: Path) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped), else Windows-1252."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if b"\x00" in raw[:4096]:
            raise
        return raw.decode("cp1252", errors="replace")
