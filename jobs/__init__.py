"""Scheduled jobs: the registry, the runner (lease lock + period-keyed run row), the scheduler.

`webapp` never imports this package; `install(app)` hands the app a `JobService` through
`app.extensions["jobs"]` so the web's "Run now" button reaches the runner.
"""

from __future__ import annotations

from flask import Flask


def install(app: Flask) -> Flask:
    """Attach the job registry and runner to the app, and the `jobs`/`serve` CLI commands."""
    from jobs.cli import register_job_commands
    from jobs.service import JobService

    app.extensions["jobs"] = JobService(app)
    register_job_commands(app)
    return app
