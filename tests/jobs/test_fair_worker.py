"""The served app's gunicorn worker takes a new connection only while a thread is free
(jobs/fair_worker.py), with real gunicorn processes: a burst of keep-alive connections is
shared by the workers instead of queueing behind one worker's busy threads."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS, THREADS, CONNECTIONS, SLOW = 2, 2, 8, 0.4

APP = """
import os, time
from flask import Flask
from jobs.serve import AutopilotServer

app = Flask("slow")

@app.get("/")
def slow():
    time.sleep(%(slow)s)
    return str(os.getpid())

class Slow(AutopilotServer):
    def load(self):
        return app

Slow({"bind": "127.0.0.1:%(port)d", "workers": %(workers)d, "threads": %(threads)d,
      "worker_class": "jobs.fair_worker.FairThreadWorker", "accesslog": None}).run()
"""

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REQUEST = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


def _body(sock: socket.socket) -> str:
    """The answer's body (a worker's pid: short, so it comes with the headers)."""
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
        answer += sock.recv(4096)
    return answer.split(b"\r\n\r\n", 1)[1].decode()


@pytest.fixture
def served() -> Iterator[int]:
    port = _free_port()
    values = {"slow": SLOW, "port": port, "workers": WORKERS, "threads": THREADS}
    proc = subprocess.Popen(
        [sys.executable, "-c", APP % values], cwd=ROOT, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(REQUEST)
                    _body(sock)
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_a_burst_of_connections_is_shared_by_the_workers(served):
    socks = [
        socket.create_connection(("127.0.0.1", served), timeout=10) for _ in range(CONNECTIONS)
    ]
    try:
        for sock in socks:  # every request sent at once; each takes SLOW seconds
            sock.sendall(REQUEST)
        pids = [_body(sock) for sock in socks]
    finally:
        for sock in socks:
            sock.close()

    # 8 slow requests on 2 workers × 2 threads: each worker takes 2, and 2 more once its
    # threads are free. Plain gthread accepts all it can and queues them behind its threads.
    per_worker = Counter(pids)
    assert sorted(per_worker.values()) == [CONNECTIONS // WORKERS] * WORKERS, per_worker
