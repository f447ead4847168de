"""The scheduled tick (cron in the workspace's zone, once per firing) and the outbound
webhook step (HTTPS to 127.0.0.1 only when the deployment allows it, an Idempotency-Key,
private targets refused)."""

from __future__ import annotations

import http.server
import json
import ssl
import subprocess
import threading

import pytest
from sqlalchemy import func, select

from jobs.runner import run_job
from tests.workflows.helpers import live, log_of, make_lead, tick
from webapp.core.extensions import db
from webapp.models import LeadTag, WorkflowExecution


def _runs() -> int:
    db.session.commit()  # a fresh snapshot: the job committed on its own connection
    return db.session.scalar(select(func.count()).select_from(WorkflowExecution))


def test_a_schedule_starts_one_run_per_contact_per_firing_in_the_workspace_zone(
    app, alice_org, clock
):
    # START is Monday 2026-11-23 10:00 UTC; the workspace is in Europe/London (UTC+0 then).
    flow = {
        "trigger": {"kind": "schedule", "cron": "30 10 * * 1"},
        "steps": [{"id": "tag", "kind": "update", "action": "add_tag", "value": "weekly"}],
    }
    live(alice_org.id, flow, now=clock(), reentry="always")
    make_lead(alice_org.id, "Ana Weekly")
    make_lead(alice_org.id, "Ben Weekly")
    db.session.commit()
    assert run_job(app, "workflows").status == "succeeded"
    assert _runs() == 0  # 10:00: not yet
    clock.advance(minutes=31)
    assert run_job(app, "workflows").status == "succeeded"
    db.session.expire_all()
    assert _runs() == 2
    assert (
        db.session.scalar(select(func.count()).select_from(LeadTag).where(LeadTag.tag == "weekly"))
        == 2
    )
    clock.advance(minutes=1)
    run_job(app, "workflows")
    db.session.expire_all()
    assert _runs() == 2  # the same firing starts nothing again
    clock.advance(days=7)
    run_job(app, "workflows")
    db.session.expire_all()
    assert _runs() == 4


@pytest.fixture
def https_server(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append({"key": self.headers.get("Idempotency-Key"), "body": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_port}/hook", str(cert), seen
    server.shutdown()


def _hook_flow(url: str) -> dict:
    return {
        "trigger": {"kind": "manual"},
        "steps": [
            {"id": "call", "kind": "webhook", "url": url},
            {"id": "tag", "kind": "update", "action": "add_tag", "value": "called"},
        ],
    }


def test_the_outbound_webhook_calls_an_allowed_https_target_with_an_idempotency_key(
    app, alice_org, clock, https_server
):
    from webapp.services.workflows import start_run

    url, cert, seen = https_server
    app.config.update(WORKFLOW_WEBHOOK_ALLOW_PRIVATE=True, WORKFLOW_WEBHOOK_CA_FILE=cert)
    workflow = live(alice_org.id, _hook_flow(url), now=clock())
    lead = make_lead(alice_org.id, "Hook Target")
    execution = start_run(db.session, workflow, lead.id, key="k", trigger={}, now=clock())
    tick(clock)
    tick(clock)
    execution = db.session.get(WorkflowExecution, execution.id)
    assert execution.status == "completed"
    assert len(seen) == 1 and seen[0]["key"] == f"wf-{execution.id}-call-1"
    assert seen[0]["body"]["contact_id"] == lead.id
    assert "answered 204" in log_of(execution)[0][2]


def test_a_loopback_target_is_refused_unless_the_deployment_allows_it(
    app, alice_org, clock, https_server
):
    from webapp.services.workflows import start_run

    url, _cert, seen = https_server
    app.config["WORKFLOW_WEBHOOK_ALLOW_PRIVATE"] = False
    workflow = live(alice_org.id, _hook_flow(url), now=clock())
    lead = make_lead(alice_org.id, "Hook Refused")
    execution = start_run(db.session, workflow, lead.id, key="k", trigger={}, now=clock())
    tick(clock)
    tick(clock)
    execution = db.session.get(WorkflowExecution, execution.id)
    assert seen == []
    assert execution.status == "failed" and "private, loopback or link-local" in execution.error
