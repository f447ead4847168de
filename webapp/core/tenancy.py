"""The one helper for loading a workspace's object by id (DESIGN invariant 1)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.errors import NotFound

T = TypeVar("T")
# The largest id a row can have: id columns are INTEGER, 32 bits on PostgreSQL (which refuses
# a wider parameter outright; SQLite's driver overflows past 64 bits).
MAX_ID = 2**31 - 1


def storable_id(object_id: int) -> bool:
    """Whether an id from outside (a URL, a query, a body) can name a row at all: a wider
    one fails in the database driver instead of finding nothing."""
    return 0 < object_id <= MAX_ID


def get_scoped(session: Session, model: type[T], object_id: int, org_id: int) -> T:
    """The row of `model` with this id in this workspace.

    Raises NotFound when it does not exist or belongs to another workspace, so the two
    cases look the same from outside.
    """
    if not storable_id(object_id):
        raise NotFound(f"No {model.__name__} {object_id} in this workspace.")
    obj = session.scalars(
        select(model).where(model.id == object_id, model.org_id == org_id)  # type: ignore[attr-defined]
    ).one_or_none()
    if obj is None:
        raise NotFound(f"No {model.__name__} {object_id} in this workspace.")
    return obj
