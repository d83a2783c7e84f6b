"""Logs: ``BILLPAY_LOG_FORMAT=text`` (a line for people) or ``json`` (one JSON object
per line for a log collector), both carrying the request id (``X-Request-ID``).

Every request writes one line on the ``billpay.request`` logger with its method, path,
status, duration_ms, request_id and user id (``user_id``: a user's id, or
``token:<id>`` for an API token). Turn gunicorn's own access log off (gunicorn.conf.py
does) so that each request is logged once.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import g, has_request_context

HANDLER_NAME = "billpay"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record logged while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        http = getattr(record, "http", None)
        if http:
            entry.update(http)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure_logging(settings: dict) -> None:
    """One handler on the ``billpay`` logger (stderr), replaced when the app is created
    again with other settings. Records still propagate to the root logger."""
    fmt = str(settings.get("LOG_FORMAT") or "text").lower()
    if fmt not in ("text", "json"):
        from billpay.config import ConfigError

        raise ConfigError("BILLPAY_LOG_FORMAT must be text or json")
    logger = logging.getLogger("billpay")
    logger.setLevel(str(settings.get("LOG_LEVEL") or "INFO").upper())
    for handler in list(logger.handlers):
        if handler.get_name() == HANDLER_NAME:
            logger.removeHandler(handler)
    handler = StderrHandler()
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger.addHandler(handler)
