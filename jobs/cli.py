"""The `autopilot` command: the app's CLI plus `serve` and `jobs list|run`.

This is a composition root (like wsgi.py): it builds the app and installs the jobs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from flask import Flask

# `autopilot` and `autopilot --help` answer from this table without building the app or
# importing it (seconds of imports and a database check); tests/jobs/test_cli_help.py keeps
# it in step with the commands the app really has.
COMMANDS = {
    "serve": "Serve the app (gunicorn), each worker running the scheduler.",
    "db": "Database migrations: `autopilot db upgrade` brings the schema up to date.",
    "demo": "Create (or reset) the demo workspace and print how to sign in.",
    "jobs": "Scheduled jobs: `jobs list`, `jobs run NAME`.",
    "user": "Manage user accounts (support staff, passwords).",
    "credentials": "Workspaces' encrypted integration credentials: `credentials rotate`.",
    "routes": "Show the routes of the app.",
    "run": "Run Flask's development server (use `serve` for real use).",
    "shell": "A Python shell in the app context.",
}


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
    _register_jobs_group(app)
    _register_credentials_group(app)
    _register_serve(app)


def _register_jobs_group(app: Flask) -> None:
    from flask import current_app

    from webapp.core import clock

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
            click.echo(
                f"{name:<16} {spec.schedule.describe():<28} next {nxt:%Y-%m-%d %H:%M} UTC  {spec.title}"
            )

    @jobs_group.command("run")
    @click.argument("name")
    def run(name: str) -> None:
        """Run a job now, under its lock (cron-friendly: exit 1 on failure)."""
        service = current_app.extensions["jobs"]
        if name not in service.specs:
            raise click.BadParameter(
                f"no job {name!r}; try: {', '.join(service.specs)}", param_hint="NAME"
            )
        outcome = service.run(name, trigger="cli")
        click.echo(f"{name}: {outcome.status} {outcome.message}".rstrip())
        if outcome.status == "failed":
            raise SystemExit(1)


def _register_credentials_group(app: Flask) -> None:
    from webapp.core import clock

    @app.cli.group("credentials")
    def credentials_group() -> None:
        """Workspaces' encrypted integration credentials."""

    @credentials_group.command("rotate")
    def rotate_credentials() -> None:
        """Re-encrypt every workspace's credentials with the first key of CREDENTIALS_KEY."""
        from webapp.core.db import begin_write
        from webapp.core.extensions import db
        from webapp.services.connections import credentials

        begin_write(db.session)
        try:
            count = credentials.rotate_credentials(db.session, now=clock.now())
        except credentials.CredentialsError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"Re-encrypted {count} set(s) of credentials with {credentials.key_source()}.")
        click.echo("Keys after the first one in CREDENTIALS_KEY can now be removed.")


WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def served_address(host: str, port: int) -> str:
    """The URL a browser on this machine opens for a server bound to host:port."""
    shown = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if ":" in shown:
        shown = f"[{shown}]"  # an IPv6 address
    return f"http://{shown}:{port}"


def _register_serve(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8000, show_default=True, type=int)
    @click.option("--workers", default=1, show_default=True, type=int)
    @click.option("--threads", default=4, show_default=True, type=int)
    @click.option("--no-scheduler", is_flag=True, help="Serve only; another process runs the jobs.")
    def serve(host: str, port: int, workers: int, threads: int, no_scheduler: bool) -> None:
        """Serve the app with gunicorn, each worker running the scheduler unless told not to."""
        from jobs.serve import serve_gunicorn
        from webapp.core.config import record_served_url

        os.environ["SCHEDULER_ENABLED"] = "0" if no_scheduler else "1"
        url = served_address(host, port)
        if not os.environ.get("PUBLIC_URL"):
            # The workers' links (unsubscribe, tracking, forms) follow the served address.
            os.environ["PUBLIC_URL"] = url
            record_served_url(Path(app.instance_path), url)
            if host in WILDCARD_HOSTS:
                click.echo(
                    f"Links in emails and texts point at {url}. Set PUBLIC_URL to the address "
                    "people and providers reach this server at."
                )
        click.echo(f"Marketing Autopilot is running on {url}  (Ctrl+C to stop)")
        serve_gunicorn(host=host, port=port, workers=workers, threads=threads)


def overview() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {text}" for name, text in COMMANDS.items()]
    return "\n".join([
        "Usage: autopilot COMMAND [ARGS]...",
        "",
        "Marketing Autopilot: serve the app, run its jobs and look after its data.",
        "",
        "Commands:",
        *lines,
        "",
        "`autopilot COMMAND --help` tells more about one command.",
    ])  # fmt: skip


def main() -> None:
    if sys.argv[1:] in ([], ["--help"], ["-h"]):
        click.echo(overview())
        return
    from flask.cli import FlaskGroup

    FlaskGroup(create_app=build_app, add_default_commands=True, load_dotenv=True)(
        prog_name="autopilot"
    )
