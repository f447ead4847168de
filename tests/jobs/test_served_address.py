"""`autopilot serve --port N` makes links follow the served address when PUBLIC_URL is unset:
the workers' config, and commands run beside the server (`autopilot demo`) read it too
(issue 15, item 1: with PORT=8101 every link pointed at :8000)."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.core.config import load_config


@pytest.fixture
def served(app, monkeypatch, tmp_path: Path):
    calls: list[dict] = []
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("SCHEDULER_ENABLED", raising=False)  # serve sets it; restored after
    monkeypatch.setattr("jobs.serve.serve_gunicorn", lambda **kw: calls.append(kw))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))

    def serve(*args: str):
        result = app.test_cli_runner().invoke(args=["serve", *args])
        assert result.exit_code == 0, result.output
        return result.output, calls[-1]

    return serve


def test_links_follow_the_port_served(served, monkeypatch, tmp_path: Path):
    import os

    output, bound = served("--port", "8101")
    assert bound["port"] == 8101
    assert os.environ["PUBLIC_URL"] == "http://127.0.0.1:8101"  # what the workers load
    assert "running on http://127.0.0.1:8101" in output
    monkeypatch.delenv("PUBLIC_URL")
    assert load_config(tmp_path)["PUBLIC_URL"] == "http://127.0.0.1:8101"  # `autopilot demo`


def test_a_wildcard_bind_says_to_set_the_public_address(served):
    output, _ = served("--host", "0.0.0.0", "--port", "8102")
    assert "Set PUBLIC_URL" in output and "http://127.0.0.1:8102" in output


def test_a_set_public_url_wins(served, monkeypatch, tmp_path: Path):
    import os

    monkeypatch.setenv("PUBLIC_URL", "https://shop.example")
    served("--port", "8103")
    assert os.environ["PUBLIC_URL"] == "https://shop.example"
    assert not (tmp_path / "served_url").exists()
    assert load_config(tmp_path)["PUBLIC_URL"] == "https://shop.example"
    monkeypatch.delenv("PUBLIC_URL")
    assert load_config(tmp_path)["PUBLIC_URL"] == "http://127.0.0.1:8000"  # nothing served
