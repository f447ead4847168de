"""WSGI entry point: `gunicorn wsgi:app`. Starts the scheduler when SCHEDULER_ENABLED is on."""

from jobs.cli import build_served_app

app = build_served_app()
