"""The `autopilot` command: the app's CLI plus `serve` and `jobs list|run`.

This is a composition root (like wsgi.py): it builds the app and installs the jobs.
"""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from webapp import clock


def build_app(config: dict | None = None) -> Flask:
    from jobs import install
    from webapp import create_app

    return install(create_app(config))


def build_served_app() -> Flask:
    """The app as served: built, jobs installed, scheduler started when SCHEDULER_ENABLED."""
    from jobs.schedule import start_scheduler

    app = build_app()
    if app.config["SCHEDULER_ENABLED"]:
        start_scheduler(app)
    return app


def register_job_commands(app: Flask) -> None:
    @app.cli.group("jobs")
    def jobs_group() -> None:
        """Scheduled jobs."""

    @jobs_group.command("list")
    def list_jobs() -> None:
        """List the scheduled jobs with their schedules and next runs."""
        service = current_app.extensions["jobs"]
        now = clock.now()
        for name, spec in service.specs.items():
            nxt = service.next_run(name, now)
            click.echo(f"{name:<16} {spec.schedule.describe():<28} next {nxt:%Y-%m-%d %H:%M} UTC  {spec.title}")

    @jobs_group.command("run")
    @click.argument("name")
    def run(name: str) -> None:
        """Run a job now, under its lock (cron-friendly: exit 1 on failure)."""
        service = current_app.extensions["jobs"]
        if name not in service.specs:
            raise click.BadParameter(f"no job {name!r}; try: {', '.join(service.specs)}", param_hint="NAME")
        outcome = service.run(name, trigger="cli")
        click.echo(f"{name}: {outcome.status} {outcome.message}".rstrip())
        if outcome.status == "failed":
            raise SystemExit(1)

    @app.cli.group("credentials")
    def credentials_group() -> None:
        """Workspaces' encrypted integration credentials."""

    @credentials_group.command("rotate")
    def rotate_credentials() -> None:
        """Re-encrypt every workspace's credentials with the first key of CREDENTIALS_KEY."""
        from webapp.db_setup import begin_write
        from webapp.extensions import db
        from webapp.services import credentials

        begin_write(db.session)
        try:
            count = credentials.rotate_credentials(db.session, now=clock.now())
        except credentials.CredentialsError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"Re-encrypted {count} set(s) of credentials with {credentials.key_source()}.")
        click.echo("Keys after the first one in CREDENTIALS_KEY can now be removed.")

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8000, show_default=True, type=int)
    @click.option("--workers", default=1, show_default=True, type=int)
    @click.option("--threads", default=4, show_default=True, type=int)
    @click.option("--no-scheduler", is_flag=True, help="Serve only; another process runs the jobs.")
    def serve(host: str, port: int, workers: int, threads: int, no_scheduler: bool) -> None:
        """Serve the app with gunicorn, each worker running the scheduler unless told not to."""
        from jobs.serve import serve_gunicorn

        os.environ["SCHEDULER_ENABLED"] = "0" if no_scheduler else "1"
        click.echo(f"Marketing Autopilot is running on http://{host}:{port}  (Ctrl+C to stop)")
        serve_gunicorn(host=host, port=port, workers=workers, threads=threads)


def main() -> None:
    FlaskGroup(create_app=build_app, add_default_commands=True, load_dotenv=True)(prog_name="autopilot")
