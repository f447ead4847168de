"""A workspace's results stamp: a number the database bumps (by triggers, migration 0047)
whenever what its results are computed from changes, so a reader can tell in one indexed
lookup that figures it computed earlier still hold."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db


class ResultsStamp(db.Model):
    __tablename__ = "results_stamps"

    # No foreign key: a removed workspace's rows are removed after it, and their triggers
    # must still be able to write here.
    org_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
