"""gunicorn settings for billpay in production.

    gunicorn -c gunicorn.conf.py 'billpay.app:create_app()'

billpay itself reads its ``BILLPAY_*`` variables (README, "Configuration"); this file
reads ``GUNICORN_*`` ones for the server:

| variable | default | meaning |
|---|---|---|
| ``GUNICORN_BIND`` | ``127.0.0.1:8000`` | address:port (or ``unix:/run/billpay.sock``); the reverse proxy talks to it |
| ``GUNICORN_WORKERS`` | ``2 × CPUs + 1`` | worker processes |
| ``GUNICORN_THREADS`` | ``1`` | threads per worker (more than 1 uses the ``gthread`` worker) |
| ``GUNICORN_TIMEOUT`` | ``120`` | seconds a request may take before its worker is restarted (a 256 MB settlement upload imports in about a minute) |
| ``GUNICORN_GRACEFUL_TIMEOUT`` | ``60`` | seconds a worker gets to finish its requests on restart |
| ``GUNICORN_MAX_REQUESTS`` | ``2000`` | restart a worker after this many requests (± 10 %), against slow leaks |
| ``GUNICORN_FORWARDED_ALLOW_IPS`` | ``127.0.0.1`` | proxies whose ``X-Forwarded-Proto`` is believed (HTTPS detection) |
| ``GUNICORN_LOG_LEVEL`` | ``info`` | gunicorn's own log (start, stop, worker deaths) |
| ``PROMETHEUS_MULTIPROC_DIR`` | a new temporary folder | see below |

Several workers (and several machines) work as one service because billpay keeps
nothing that matters in a process: sessions are signed cookies, maintenance windows
and the settlement queue are in the database, and rate-limit counters can be shared
through Redis (``BILLPAY_RATELIMIT_STORAGE_URL=redis://…``; with the default
``memory://`` each worker counts on its own).

Metrics: each worker counts its own requests. So that a scrape of ``/metrics`` (answered
by whichever worker) adds up all of them, prometheus_client's multiprocess mode keeps
the counters in files in ``PROMETHEUS_MULTIPROC_DIR``. This file sets it to a fresh
temporary folder unless it is set already, empties it when gunicorn starts and
marks a dead worker's files (``child_exit``). If you set it yourself, use a folder
only this gunicorn uses (on tmpfs ideally). The variable must be in the environment
before the app is imported: do not use ``--preload`` with a folder set later.

Requests are logged by billpay itself (one line per request, ``BILLPAY_LOG_FORMAT=json``
for a log collector), so gunicorn's access log is off.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _env_int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _env_int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _env_int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 60)
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max(max_requests // 10, 0)
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = None  # billpay logs each request itself (billpay.request)
errorlog = "-"
preload_app = False  # each worker opens its own database connections
limit_request_line = 8190

_owns_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _owns_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="billpay-prometheus-")


def on_starting(server):
    """Empty the metrics folder: files left by an earlier run would be added up."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name.endswith(".db") and os.path.isfile(path):
            os.unlink(path)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _owns_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
