"""Throughput through gunicorn: bills created by the JSON API, against a bare endpoint,
then a mixed load.

    .venv/bin/python bench/http.py [--workers 2] [--clients 2] [--threads 4]
                                   [--seconds 10] [--mixed-seconds 20] [--database-url URL]

Starts ``gunicorn -c gunicorn.conf.py 'billpay.app:create_app()'`` on 127.0.0.1 (a
scratch SQLite file unless ``--database-url``; offices, fee types and two API tokens
seeded), then, each for a fixed time with ``--clients`` processes of ``--threads``
threads (http.client, one request at a time each):

1. ``GET /healthz``: the bare Flask request on the same gunicorn and workers;
2. ``POST /api/v1/bills`` with a bearer token: bills created per second, and the ratio
   to (1);
3. mixed: half the threads create bills, half fetch bill PDFs, while a settlement file
   paying the bills of (2) is uploaded to ``POST /api/v1/settlement-files`` at the
   start; throughput of each kind, errors, and how long the import took.

The load generator runs on the same machine (on a 2-core machine it takes a good part
of one core), so the figures are a floor for the server.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file is named
# like the standard library's ``http``: take the folder off before importing it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import http.client  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

BILL = json.dumps({"payer_name": "นายสมศักดิ์ ทดสอบระบบ", "payer_id": "0105556012341",
                   "items": [{"fee_type": "FA01"},
                             {"fee_type": "HT01", "amount": "2450.75"}]}).encode()


def setup(url: str) -> tuple[str, str]:
    """Migrate, seed, and make a clerk token (bills) and an import token (files)."""
    from billpay import migrate
    from billpay.accounts.services import create_token
    from billpay.app import create_app
    from billpay.bills import catalogue
    from billpay.db import get_database
    from billpay.offices.services import seed_offices

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench" * 10, "LOG_LEVEL": "WARNING"})
    with get_database(app).transaction() as db:
        seed_offices(db)
        if not catalogue.list_fee_types(db):
            catalogue.import_fee_types_csv(db, None, catalogue.demo_fee_types_csv())
        suffix = time.time_ns()
        clerk = create_token(db, name=f"bench-counter-{suffix}", role="clerk",
                             office_code="5001").secret
        job = create_token(db, name=f"bench-import-{suffix}", role="import_job",
                           office_code=None).secret
    get_database(app).engine.dispose()
    return clerk, job


def settlement_bytes(url: str, limit: int) -> tuple[bytes, int]:
    """A Krungthai file paying up to ``limit`` of the open bills."""
    from billpay.app import create_app
    from billpay.db import get_database, utcnow
    from billpay.settlement.simulator import simulate_settlement
    from billpay.settlement.writer import write_settlement_to
    from billpay.thaidate import bangkok_date

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench" * 10, "LOG_LEVEL": "WARNING"})
    with get_database(app).transaction() as db:
        sim = simulate_settlement(db, bank_code="006", day=bangkok_date(utcnow()),
                                  limit=limit, seed=7)
    get_database(app).engine.dispose()
    buffer = io.BytesIO()
    write_settlement_to(buffer, sim.batches)
    return buffer.getvalue(), sim.lines


# -- the load -----------------------------------------------------------------------------

def _request(conn, method, path, body, headers):
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def _worker(port, kind, token, seconds, threads, refs, out):
    """One client process: ``threads`` threads sending ``kind`` requests for ``seconds``."""
    results = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(kinds):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        done, errors, latencies, made = {}, {}, [], []
        rnd = random.Random()
        i = 0
        while time.monotonic() < deadline:
            k = kinds[i % len(kinds)]
            i += 1
            if k == "healthz":
                args = ("GET", "/healthz", None, {})
            elif k == "bill":
                args = ("POST", "/api/v1/bills", BILL, {"Authorization": f"Bearer {token}",
                                                         "Content-Type": "application/json"})
            else:
                ref = rnd.choice(refs)
                args = ("GET", f"/api/v1/bills/{ref}/pdf", None,
                        {"Authorization": f"Bearer {token}"})
            t0 = time.perf_counter()
            try:
                status, data = _request(conn, *args)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                errors[k] = errors.get(k, 0) + 1
                continue
            latencies.append(time.perf_counter() - t0)
            ok = status in (200, 201) and (k != "pdf" or data[:4] == b"%PDF")
            if ok:
                done[k] = done.get(k, 0) + 1
                if k == "bill" and len(made) < 5000:
                    made.append(json.loads(data)["ref1"])
            else:
                errors[k] = errors.get(k, 0) + 1
        conn.close()
        with lock:
            results.append((done, errors, latencies, made))

    kinds = {"mixed": None}.get(kind, [kind])
    pool = []
    for n in range(threads):
        thread_kinds = kinds or (["bill"] if n % 2 == 0 else ["pdf"])
        pool.append(threading.Thread(target=loop, args=(thread_kinds,)))
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(results)


def run_load(port, kind, token, seconds, clients, threads, refs=()):
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_worker,
                                     args=(port, kind, token, seconds, threads, list(refs), out))
             for _ in range(clients)]
    start = time.monotonic()
    for p in procs:
        p.start()
    gathered = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - start
    done, errors, latencies, made = {}, {}, [], []
    for results in gathered:
        for d, e, lat, m in results:
            for k, v in d.items():
                done[k] = done.get(k, 0) + v
            for k, v in e.items():
                errors[k] = errors.get(k, 0) + v
            latencies += lat
            made += m
    return {"elapsed": elapsed, "seconds": seconds, "done": done, "errors": errors,
            "latencies": latencies, "made": made}


def _pct(values, q):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url, workers, port, log_path):
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(BILLPAY_DATABASE_URL=url, BILLPAY_SECRET_KEY="bench" * 10,
               GUNICORN_WORKERS=str(workers), GUNICORN_BIND=f"127.0.0.1:{port}",
               BILLPAY_LOG_FORMAT="json")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(log_path, "w")  # noqa: SIM115 - closed with the server
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py",
                             "billpay.app:create_app()"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            if _request(conn, "GET", "/readyz", None, {})[0] == 200:
                return proc, log
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"gunicorn did not get ready; see {log_path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="gunicorn workers (default: CPUs)")
    parser.add_argument("--clients", type=int, default=2, help="load processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per load process")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--mixed-seconds", type=float, default=20.0)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        clerk, job = setup(url)
        port = _free_port()
        proc, log = start_gunicorn(url, args.workers, port, Path(tmp) / "gunicorn.log")
        engine = url.split(":", 1)[0].split("+")[0]
        conc = args.clients * args.threads
        print(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}, database {engine}; "
              f"load: {args.clients} processes × {args.threads} threads = {conc} at a time")
        try:
            run_load(port, "healthz", clerk, 2, args.clients, args.threads)  # warm up
            run_load(port, "bill", clerk, 2, args.clients, args.threads)
            bare = run_load(port, "healthz", clerk, args.seconds, args.clients, args.threads)
            bills = run_load(port, "bill", clerk, args.seconds, args.clients, args.threads)
            bare_rps = bare["done"].get("healthz", 0) / bare["elapsed"]
            bill_rps = bills["done"].get("bill", 0) / bills["elapsed"]
            print(f"GET /healthz           {bare_rps:8.1f} req/s  p50 "
                  f"{_pct(bare['latencies'], .5):6.1f} ms  p95 {_pct(bare['latencies'], .95):6.1f}"
                  f" ms  errors {sum(bare['errors'].values())}")
            print(f"POST /api/v1/bills     {bill_rps:8.1f} req/s  p50 "
                  f"{_pct(bills['latencies'], .5):6.1f} ms  p95 "
                  f"{_pct(bills['latencies'], .95):6.1f} ms  errors "
                  f"{sum(bills['errors'].values())}")
            print(f"ratio bills / bare     {bill_rps / bare_rps:8.3f}")

            data, lines = settlement_bytes(url, limit=max(len(bills["made"]), 100))
            upload = {}

            def send_file():
                time.sleep(1.0)
                boundary = "benchboundary7"
                body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                        f"filename=\"ktb-bench.txt\"\r\nContent-Type: text/plain\r\n\r\n"
                        ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                t0 = time.perf_counter()
                status, reply = _request(conn, "POST", "/api/v1/settlement-files", body, {
                    "Authorization": f"Bearer {job}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}"})
                upload.update(status=status, seconds=time.perf_counter() - t0,
                              reply=json.loads(reply))

            sender = threading.Thread(target=send_file)
            sender.start()
            mixed = run_load(port, "mixed", clerk, args.mixed_seconds, args.clients,
                             args.threads, refs=bills["made"] or ["0"])
            sender.join()
            el = mixed["elapsed"]
            made, pdfs = mixed["done"].get("bill", 0), mixed["done"].get("pdf", 0)
            print(f"mixed {args.mixed_seconds:g} s: bills created {made / el:.1f}/s, PDFs "
                  f"fetched {pdfs / el:.1f}/s, total {(made + pdfs) / el:.1f} req/s, "
                  f"errors {mixed['errors'] or 0}; p95 {_pct(mixed['latencies'], .95):.0f} ms")
            reply = upload.get("reply", {})
            print(f"  settlement file during it: {lines} lines, HTTP {upload.get('status')} in "
                  f"{upload.get('seconds', 0):.2f} s, matched {reply.get('matched')}, "
                  f"exceptions {reply.get('exception_count')}")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


if __name__ == "__main__":
    main()
