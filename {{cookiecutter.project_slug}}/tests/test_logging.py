"""Log lines: JSON in production, with the request id and an access line per request."""

import json
import logging

from app.core.logging import JsonFormatter, RequestIdFilter


def test_json_formatter_writes_one_object_with_the_core_fields():
    record = logging.LogRecord("app.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    RequestIdFilter().filter(record)
    record.status = 200

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "GET /x"
    assert (entry["level"], entry["logger"], entry["request_id"], entry["status"]) == (
        "INFO",
        "app.access",
        "-",
        200,
    )
    assert entry["timestamp"].endswith("+00:00")


def test_json_formatter_includes_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    entry = json.loads(JsonFormatter().format(record))

    assert "ValueError: boom" in entry["exception"]


def test_each_request_logs_an_access_line_with_its_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="app.access"):
        client.get("/health", headers={"X-Request-ID": "trace-1"})

    record = next(r for r in caplog.records if r.name == "app.access")
    assert (record.method, record.path, record.status) == ("GET", "/health", 200)
    assert record.request_id == "trace-1"
    assert record.duration_ms >= 0
