"""gunicorn.conf.py serves the app with several workers that agree on /metrics."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ops.test_probes import _sample

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
        return response.status, response.read().decode()


def test_gunicorn_conf_serves_two_workers_counting_together(backend, backend_urls, tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(BILLPAY_DATABASE_URL=backend_urls[backend], GUNICORN_WORKERS="2",
               GUNICORN_BIND=f"127.0.0.1:{port}", BILLPAY_LOG_FORMAT="json")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "billpay.app:create_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)
        status, body = _get(base + "/readyz")
        assert status == 200 and '"status":"ok"' in body.replace(" ", "")
        for _ in range(30):
            assert _get(base + "/healthz")[0] == 200
        totals = set()
        for _ in range(6):  # whichever worker answers, all of them are added up
            status, metrics = _get(base + "/metrics")
            assert status == 200
            totals.add(_sample(metrics, "billpay_http_requests_total", method="GET",
                               endpoint="ops.healthz", status="200"))
        assert totals == {31.0}, totals  # the wait loop's last probe and 30 more
        assert "billpay_bills_issued_total" in metrics
    finally:
        proc.terminate()
        try:
            _out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
    assert "Booting worker" in err
    assert '"path": "/healthz"' in err  # billpay's own JSON request lines
