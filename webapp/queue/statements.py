"""Statements of the engine's hot paths, built once with bound parameters.

Building and keying a statement costs more than running it when a worker records a job
every millisecond or two, and the dialects' INSERT … ON CONFLICT has no cache key in
SQLAlchemy 2.0 (it is compiled again on every call), so these are built here once:

- `INSERT_ONE`: one job, skipping a key already used (`store.enqueue_many` of one row, as
  a worker queues each next job while it records the last one);
- `COMPLETE`: a leased job completed (`store.complete`, the worker's compare-and-set).
"""

from __future__ import annotations

from sqlalchemy import bindparam, text, update

from webapp.models.queue import QueuedJob

_TABLE = QueuedJob.__table__
# The keys of `store._row`.
_COLUMNS = (
    "kind",
    "idempotency_key",
    "payload",
    "run_at",
    "org_id",
    "max_attempts",
    "test_mode",
    "lock_key",
    "status",
    "attempts",
    "created_at",
    "updated_at",
)
INSERT_ONE = (
    text(
        f"INSERT INTO queued_jobs ({', '.join(_COLUMNS)}) "
        f"VALUES ({', '.join(':' + name for name in _COLUMNS)}) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
    )
    .bindparams(*(bindparam(name, type_=_TABLE.c[name].type) for name in _COLUMNS))
    .columns(_TABLE.c.id)
)

COMPLETE = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("job"),
        _TABLE.c.status == "processing",
        _TABLE.c.lease_owner == bindparam("owner"),
    )
    .values(
        status="completed",
        result=bindparam("result", type_=_TABLE.c.result.type),
        lease_owner=None,
        lease_expires_at=None,
        completed_at=bindparam("now", type_=_TABLE.c.completed_at.type),
        updated_at=bindparam("now", type_=_TABLE.c.updated_at.type),
        last_error=None,
        error_class=None,
    )
)
