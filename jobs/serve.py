"""gunicorn in-process: each worker builds the app and, when enabled, starts the scheduler."""

from __future__ import annotations

import gc
import os
import tempfile

from gunicorn.app.base import BaseApplication


class AutopilotServer(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Built in the worker (no preload), so no DB connection or thread crosses a fork.
        from jobs.cli import build_served_app

        app = build_served_app()
        # The app's import-time objects live as long as the worker: out of the collector's
        # way, so its full collections walk only what requests leave behind.
        gc.freeze()
        return app


def _worker_gone(_server, worker) -> None:
    # Its request counts stay in the sum; its live gauges (none today) would be dropped.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def serve_gunicorn(*, host: str, port: int, workers: int, threads: int) -> None:
    # /metrics sums the workers' counters through files in one fresh folder per start.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="autopilot-metrics-")
    AutopilotServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "jobs.fair_worker.FairThreadWorker",
            "accesslog": "-",
            "timeout": 120,
            "graceful_timeout": 20,
            "child_exit": _worker_gone,
        }
    ).run()
