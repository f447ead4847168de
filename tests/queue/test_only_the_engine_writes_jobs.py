"""Only webapp/queue/ writes `queued_jobs` (issue 9: one durable work engine).

A source scan, no database: every module of webapp/ and jobs/ outside webapp/queue/ is
parsed, and the test fails on anything there that would insert, update or delete queue
rows — an `insert`/`update`/`delete` (SQLAlchemy's, a dialect's, or a helper returning
one) on `QueuedJob` or its table, a `QueuedJob(...)` row built for `session.add`, a
`query(QueuedJob)….update()/.delete()`, or SQL text that writes `queued_jobs`. Reading the
queue (counts, joins, filters) stays allowed everywhere.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("webapp", "jobs")
ENGINE = ROOT / "webapp" / "queue"
MODEL = "QueuedJob"
WRITES = frozenset({"insert", "update", "delete"})
SQL_WRITE = re.compile(
    r"\b(insert\s+into|update|delete\s+from|truncate(\s+table)?)\s+\"?queued_jobs\b",
    re.IGNORECASE,
)


def _root_name(node: ast.AST) -> str | None:
    """`QueuedJob` for `QueuedJob`, `QueuedJob.__table__`, `QueuedJob.__table__.c` …"""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _aliases(tree: ast.AST) -> set[str]:
    """Names bound to the model or its table in the module (`table = QueuedJob.__table__`)."""
    names = {MODEL}
    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _root_name(node.value) in names:
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id not in names:
                        names.add(target.id)
                        changed = True
    return names


def _callee(func: ast.AST) -> str | None:
    """The name a call's function ends in: `insert` for insert(…), sa.insert(…), and for
    helpers that return an insert, `dialect_insert(session)(…)`."""
    if isinstance(func, ast.Call):
        return _callee(func.func)
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _is_write_name(name: str | None) -> bool:
    return name is not None and (name in WRITES or name.lstrip("_").endswith("insert"))


def _queries_queue(node: ast.AST, names: set[str]) -> bool:
    """A `….query(QueuedJob…)` somewhere down a method chain."""
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Call):
            if _callee(node.func) == "query" and any(_root_name(a) in names for a in node.args):
                return True
            node = node.func
        else:
            node = node.value
    return False


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):  # an f-string: its literal parts, joined
            parts = [v.value if isinstance(v, ast.Constant) else " {} " for v in node.values]
            found.append((node.lineno, "".join(str(p) for p in parts)))
    return found


def queue_writes(source: str) -> list[str]:
    """Where `source` writes queued_jobs: "line N: what", empty when it does not."""
    tree = ast.parse(source)
    names = _aliases(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = _callee(node.func)
        if _is_write_name(callee) and any(_root_name(a) in names for a in node.args):
            found.append(f"line {node.lineno}: {callee}() on the queue table")
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and _root_name(node.func.value) in names
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}() of the queue table")
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and _queries_queue(node.func.value, names)
        ):
            found.append(f"line {node.lineno}: query(QueuedJob).{node.func.attr}()")
        elif isinstance(node.func, ast.Name) and node.func.id in names:
            found.append(f"line {node.lineno}: a new QueuedJob row")
    for line, text in _strings(tree):
        if SQL_WRITE.search(text):
            found.append(f"line {line}: SQL writing queued_jobs")
    return found


def _modules() -> list[Path]:
    paths = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if ENGINE not in path.parents:
                paths.append(path)
    return paths


def test_no_module_outside_the_engine_writes_queued_jobs() -> None:
    modules = _modules()
    assert len(modules) > 50  # the scan sees the tree
    offenders = {
        str(path.relative_to(ROOT)): hits
        for path in modules
        if (hits := queue_writes(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "only webapp/queue/ may write queued_jobs"


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import update\nupdate(QueuedJob).values(status='x')",
        "import sqlalchemy as sa\nsa.delete(QueuedJob.__table__)",
        "table = QueuedJob.__table__\ninsert(table).values()",
        "dialect_insert(session)(QueuedJob).on_conflict_do_nothing()",
        "insert = _insert(session)\ninsert(QueuedJob.__table__).from_select([], q)",
        "QueuedJob.__table__.update().values(status='x')",
        "session.query(QueuedJob).filter_by(id=1).delete()",
        "session.add(QueuedJob(kind='x'))",
        "SQL = 'UPDATE queued_jobs SET status = 1'",
        "SQL = ('INSERT INTO queued_jobs (id) '\n 'VALUES (1)')",
        "SQL = f'DELETE FROM \"queued_jobs\" WHERE id = {n}'",
        "cursor.execute('update  queued_jobs set x = 1')",
    ],
)
def test_the_scan_sees_each_way_of_writing_the_queue(source: str) -> None:
    assert queue_writes(source), source


@pytest.mark.parametrize(
    "source",
    [
        "select(QueuedJob.id).where(QueuedJob.status == 'pending')",
        "update(Send).where(Send.queued_job_id.in_(select(QueuedJob.id)))",
        "SQL = 'SELECT count(*) FROM queued_jobs'",
        "queue.complete(session, job.id, owner, now=now)",
    ],
)
def test_the_scan_lets_reads_and_engine_calls_through(source: str) -> None:
    assert queue_writes(source) == [], source
