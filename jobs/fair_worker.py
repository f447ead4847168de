"""gunicorn's threaded worker, taking a new connection only while one of its threads is free.

gthread accepts every connection it can and queues the requests behind its busy threads, and
a keep-alive connection stays with the worker that took it: a burst of connections could
all land on one worker while the other sat idle, and their requests waited there (the
dashboard's p95 under 16 connections followed that split). With this worker a busy one
leaves new connections to the others, as gunicorn's sync workers do. Written against
gunicorn 27's gthread (pyproject pins the major version).
"""

from __future__ import annotations

from gunicorn.workers.gthread import ThreadWorker


class FairThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.in_hand = 0  # requests submitted to the thread pool and not finished

    # All three run on the worker's main thread (accepting, the poller, the method queue).

    def enqueue_req(self, conn) -> None:
        self.in_hand += 1
        if self.in_hand >= self.cfg.threads:
            super().set_accept_enabled(False)  # the loop asks again once a thread is free
        super().enqueue_req(conn)

    def finish_request(self, conn, fs) -> None:
        self.in_hand -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self.in_hand < self.cfg.threads)
