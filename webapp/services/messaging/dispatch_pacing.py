"""The dispatcher's pacing: token buckets per provider and per workspace, renewing the
leases of a slow batch, and putting jobs back for later without spending an attempt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from webapp import queue
from webapp.integrations import delivery
from webapp.integrations.resilience import take_tokens
from webapp.models import QueuedJob
from webapp.services.messaging.step_jobs import ProcessResult


class Pacing:
    """Rate and lease keeping (mixed into messaging/dispatch.py's `Dispatcher`)."""

    def pace(
        self, sender: delivery.ChannelSender, jobs: list[QueuedJob], result: ProcessResult
    ) -> list[QueuedJob]:
        """The jobs the token buckets allow now; the rest go back to when their token comes."""
        org_id, channel = sender.org_id, sender.channel
        if all(job.test_mode for job in jobs) or sender.provider == "outbox":
            return jobs
        rate = delivery.rate_per_minute(channel)
        if rate <= 0:
            return jobs
        now = self.clock()
        real = [job for job in jobs if not job.test_mode]
        granted = len(real)
        for key in reversed(
            delivery.pacing_keys(org_id, channel, sender.provider)
        ):  # the workspace's lane, then the provider's
            granted = (
                take_tokens(self.engine, key, granted, per_minute=rate, now=now) if granted else 0
            )
        allowed_ids = {job.id for job in real[:granted]}
        later = [job for job in real if job.id not in allowed_ids]
        if later:
            spacing = 60.0 / rate
            self.release(later, lambda i: now + timedelta(seconds=spacing * (i + 1)), result)
            result.details.append(
                f"{len(later)} {channel} message{'s' if len(later) != 1 else ''} paced to {rate:g} per minute; "
                "they wait for their turn."
            )
        return [job for job in jobs if job.test_mode or job.id in allowed_ids]

    def keep_lease(self, remaining: list[QueuedJob]) -> None:
        """Renew the leases of a slow batch before they run out (a slow provider)."""
        if time.monotonic() - self.leased_at < self.lease_seconds / 3:
            return
        now = self.clock()
        with Session(self.engine) as session:
            queue.extend_leases(
                session,
                [job.id for job in remaining],
                self.owner,
                now=now,
                lease_seconds=self.lease_seconds,
            )
            session.commit()
        self.leased_at = time.monotonic()

    def release(
        self,
        jobs: list[QueuedJob],
        run_at: Callable[[int], datetime],
        result: ProcessResult,
        *,
        reason: str | None = None,
    ) -> None:
        """Put leased jobs back to pending for later, without spending an attempt.
        `reason`, when given, is kept on the jobs (shown on the waiting message)."""
        now = self.clock()
        with Session(self.engine) as session:
            queue.release(
                session,
                self.owner,
                [(job.id, run_at(i)) for i, job in enumerate(jobs)],
                now=now,
                reason=reason,
            )
            session.commit()
        result.deferred += len(jobs)
