"""`autopilot --help` answers at once: from a table, without importing the app (issue 15,
item 20: every command built the app first), and the table lists the app's real commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from jobs.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import sys; sys.argv = ['autopilot', '--help']\n"
    "from jobs.cli import main\n"
    "main()\n"
    "print('heavy:', sorted(m for m in ('webapp', 'sqlalchemy', 'alembic') if m in sys.modules))"
)


def test_help_lists_every_command_without_importing_the_app():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        assert f"  {name} " in done.stdout
    assert "heavy: []" in done.stdout


def test_the_table_matches_the_apps_commands(app):
    flask_defaults = {"run", "shell", "routes"}
    assert set(COMMANDS) == set(app.cli.commands) | flask_defaults


def test_make_run_says_what_it_does_before_each_slow_step():
    done = subprocess.run(
        ["make", "--dry-run", "--always-make", "run", "VENV=/nonexistent-venv"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    steps = done.stdout
    order = [
        steps.index("== Creating the Python environment"),
        steps.index("venv /nonexistent-venv"),
        steps.index("== Installing Marketing Autopilot"),
        steps.index("pip install -q -e ."),
        steps.index("== Bringing the database up to date"),
        steps.index("autopilot db upgrade"),
        steps.index("autopilot serve"),
    ]
    assert order == sorted(order), steps
