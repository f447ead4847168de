"""A process that serves pages or sends mail does not load scikit-learn (110 MB) or the
`openai` client (47 MB): they load where a chat model is trained or used and where OpenAI
is called (tests/chat trains and uses the classifier). A 100,000-message drain then peaks
under 150 MB (bench/drain.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from jobs.cli import build_app
build_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "SCHEDULER_ENABLED": False})
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""
HEAVY = {"sklearn", "scipy", "numpy", "openai"}


def loaded_after_build_app() -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_building_the_app_leaves_the_heavy_libraries_unloaded() -> None:
    assert loaded_after_build_app() & HEAVY == set()
