"""Scheduler processes announce themselves so health checks know one is alive."""

from __future__ import annotations

import logging
import os
import socket

from flask import Flask
from sqlalchemy import delete, select

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import SchedulerNode

log = logging.getLogger(__name__)


def beat(app: Flask, node: str) -> None:
    with app.app_context():
        try:
            now = clock.now()
            row = db.session.scalars(
                select(SchedulerNode).where(SchedulerNode.id == node)
            ).one_or_none()
            if row is None:
                db.session.add(
                    SchedulerNode(
                        id=node,
                        hostname=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=now,
                        seen_at=now,
                    )
                )
            else:
                row.seen_at = now
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.warning("scheduler heartbeat failed", exc_info=True)
        finally:
            db.session.remove()


def leave(app: Flask, node: str) -> None:
    with app.app_context():
        try:
            db.session.execute(delete(SchedulerNode).where(SchedulerNode.id == node))
            db.session.commit()
        except Exception:
            db.session.rollback()
