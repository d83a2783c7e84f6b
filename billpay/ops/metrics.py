"""Prometheus metrics (``/metrics``, prometheus_client).

Two kinds:

- per process, counted as requests are served: ``billpay_http_requests_total``
  (method, endpoint, status) and ``billpay_http_request_duration_seconds`` (a
  histogram by method and endpoint). Under gunicorn with several workers each worker
  counts its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py sets it) they
  are kept in files there and every scrape adds up all workers (prometheus_client's
  multiprocess mode). The variable must be set before the app is imported.
- business state, read from the database at scrape time (a custom collector), so
  every worker and every app server answers the same: bills issued, settlement files
  imported, exceptions open, receipts issued, the settlement queue, whether a
  maintenance window is on.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

REQUESTS = Counter("billpay_http_requests", "HTTP requests served",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("billpay_http_request_duration_seconds", "Time to answer a request",
                    ["method", "endpoint"],
                    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))

CONTENT_TYPE = CONTENT_TYPE_LATEST


def observe_request(method: str, endpoint: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, endpoint, str(status)).inc()
    LATENCY.labels(method, endpoint).observe(seconds)


class BusinessCollector:
    """Counts read from the database when Prometheus scrapes."""

    def __init__(self, db: Session, now):
        self.db = db
        self.now = now

    def collect(self):
        from billpay.bills.models import Bill
        from billpay.ops.models import QueuedSettlementFile
        from billpay.ops.services import current_window
        from billpay.receipts.models import Receipt
        from billpay.settlement.models import SettlementException, SettlementFile

        db = self.db
        bills = CounterMetricFamily("billpay_bills_issued", "Bills issued, by present status",
                                    labels=["status"])
        for status, n in db.execute(select(Bill.status, func.count()).group_by(Bill.status)):
            bills.add_metric([status], n)
        yield bills
        files = CounterMetricFamily("billpay_settlement_files_imported",
                                    "Bank settlement files imported")
        files.add_metric([], db.scalar(select(func.count()).select_from(SettlementFile)) or 0)
        yield files
        receipts = CounterMetricFamily("billpay_receipts_issued",
                                       "Receipts issued, by series and present status",
                                       labels=["series", "status"])
        for series, status, n in db.execute(
                select(Receipt.series, Receipt.status, func.count())
                .group_by(Receipt.series, Receipt.status)):
            receipts.add_metric([series, status], n)
        yield receipts
        exceptions = GaugeMetricFamily("billpay_settlement_exceptions_open",
                                       "Settlement exceptions waiting for finance")
        exceptions.add_metric([], db.scalar(
            select(func.count()).select_from(SettlementException)
            .where(SettlementException.status == "open")) or 0)
        yield exceptions
        queue = GaugeMetricFamily("billpay_settlement_queue_files",
                                  "Settlement files in the maintenance queue, by state",
                                  labels=["state"])
        counts = {"queued": 0, "imported": 0, "failed": 0}
        counts.update(dict(db.execute(select(QueuedSettlementFile.state, func.count())
                                      .group_by(QueuedSettlementFile.state)).all()))
        for state, n in counts.items():
            queue.add_metric([state], n)
        yield queue
        active = GaugeMetricFamily("billpay_maintenance_active",
                                   "1 while a maintenance window is on")
        active.add_metric([], 1 if current_window(db, self.now) is not None else 0)
        yield active


def exposition(db: Session, now) -> bytes:
    """The text the scrape gets: this process's (or all workers') request metrics and
    the business state from the database."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        process_part = generate_latest(registry)
    else:
        process_part = generate_latest(REGISTRY)
    business = CollectorRegistry(auto_describe=False)
    business.register(BusinessCollector(db, now))
    return process_part + generate_latest(business)
