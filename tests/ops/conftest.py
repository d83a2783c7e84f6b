"""The operations tests import the settlement queue inside the request that notices it
(``inline``), never in a background thread: a thread would share the test's connection."""

import pytest


@pytest.fixture(autouse=True)
def _queue_import_inline(request, monkeypatch):
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        monkeypatch.setitem(app.config["BILLPAY"], "SETTLEMENT_QUEUE_DRAIN", "inline")
    yield
