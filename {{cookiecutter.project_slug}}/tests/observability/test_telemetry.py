"""Tracing and error reporting: off unless configured, and real spans and events when on.

Spans and events are received, not assumed: a collector in this process (an HTTP server on
127.0.0.1) takes OTLP/HTTP posts on /v1/traces and Sentry envelopes on /api/<id>/envelope/, the
way a real collector and Sentry do. The app runs in a fresh interpreter, because a process has
one tracer provider for good, and that interpreter flushes both libraries before it exits, so
everything has arrived when it returns.
"""

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from app import create_app
from app.config import Config, ConfigurationError, TestingConfig

ROOT = Path(__file__).resolve().parents[2]
# What a request may carry that no event may: sent to the app through its environment.
SECRETS = {
    "SECRET_TOKEN": "Bearer not-a-real-token-3f9a",
    "SECRET_PASSWORD": "hunter2-but-longer",
    "SECRET_EMAIL": "someone@example.com",
}

# Runs in a fresh interpreter with the environment the test gives it.
APP_SCRIPT = """
import json, os
from flask import request
from app import create_app
from app.config import TestingConfig

config = TestingConfig()
config.SQLALCHEMY_DATABASE_URI = "sqlite://"
config.TRACING_ENABLED = True
config.SENTRY_DSN = os.environ["SENTRY_DSN"]
app = create_app(config)

@app.post("/boom/<int:n>")
def boom(n):
    sent = request.get_json()
    raise RuntimeError(f"boom {n}")

client = app.test_client()
answers = [
    client.get("/health").status_code,
    client.get("/users/1").status_code,
]
failed = client.post(
    "/boom/7",
    json={"email": os.environ["SECRET_EMAIL"], "password": os.environ["SECRET_PASSWORD"]},
    headers={
        "Authorization": os.environ["SECRET_TOKEN"],
        "Cookie": "session=" + os.environ["SECRET_PASSWORD"],
    },
)
answers.append([failed.status_code, failed.get_json()])

import sentry_sdk
from opentelemetry import trace
trace.get_tracer_provider().force_flush()
sentry_sdk.flush()
print(json.dumps(answers))
"""

# Runs in a fresh interpreter with no tracing or Sentry variable set. The modules it looks for are
# ones only app/core/telemetry.py would import.
OFF_SCRIPT = """
import json, sys
from app import create_app
from app import create_app
from app.config import Config, ConfigurationError, TestingConfig

config = Config()
config.SQLALCHEMY_DATABASE_URI = "sqlite://"
app = create_app(config)
status = app.test_client().get("/health").status_code
# redis-py imports the OpenTelemetry API and metrics SDK when installed, and records nothing
# unless told to: what this project would load is Sentry and the tracing parts.
LOADED_WHEN_ON = (
    "sentry_sdk",
    "opentelemetry.sdk.trace",
    "opentelemetry.exporter",
    "opentelemetry.instrumentation",
)
imported = sorted({name for name in sys.modules if name.startswith(LOADED_WHEN_ON)})

import sentry_sdk
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
print(json.dumps({
    "status": status,
    "imported": imported,
    "tracer_provider_set": isinstance(trace.get_tracer_provider(), TracerProvider),
    "sentry_active": sentry_sdk.get_client().is_active(),
}))
"""


@dataclass
class Received:
    """What the collector was sent: decoded trace exports, raw Sentry envelopes, the headers."""

    traces: list[ExportTraceServiceRequest] = field(default_factory=list)
    envelopes: list[bytes] = field(default_factory=list)


class CollectorHandler(BaseHTTPRequestHandler):
    received: Received

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path == "/v1/traces":
            self.received.traces.append(ExportTraceServiceRequest.FromString(body))
            self._answer("application/x-protobuf", ExportTraceServiceResponse().SerializeToString())
        elif self.path.endswith("/envelope/"):
            self.received.envelopes.append(body)
            self._answer("application/json", b"{}")
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _answer(self, content_type: str, payload: bytes) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, Received]]:
    received = Received()
    handler = type("Handler", (CollectorHandler,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def clean_environment() -> dict[str, str]:
    """This process's environment without any tracing or Sentry setting."""
    return {
        key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "SENTRY_"))
    }


def run_app(script: str, env: dict[str, str]) -> Any:
    done = subprocess.run(  # noqa: S603 - this interpreter, a script of this file
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def parse_envelope(raw: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """Items of a Sentry envelope: a JSON header line, then per item a header and its payload.

    The format: https://develop.sentry.dev/sdk/data-model/envelopes/
    """
    _, _, rest = raw.partition(b"\n")
    items = []
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] + 1 :]
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((header, payload))
    return items


@pytest.fixture
def traced_run(collector: tuple[str, Received]) -> tuple[Any, Received]:
    """Run the app with tracing and Sentry pointed at the collector; return its answers."""
    url, received = collector
    env = clean_environment() | {
        "OTEL_EXPORTER_OTLP_ENDPOINT": url,
        "OTEL_SERVICE_NAME": "telemetry-test-api",
        "SENTRY_DSN": f"http://public-key@{url.removeprefix('http://')}/42",
        **SECRETS,
    }
    answers = run_app(APP_SCRIPT, env)
    return answers, received


def spans_by_name(received: Received) -> dict[str, Any]:
    spans = {}
    for export in received.traces:
        for resource_spans in export.resource_spans:
            service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}[
                "service.name"
            ]
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {a.key: a.value for a in span.attributes}
                    spans[span.name] = (service, span, attributes)
    return spans


def status_code(attributes: dict[str, Any]) -> int:
    """The response status, under the stable semantic conventions' name or the older one."""
    value = attributes.get("http.response.status_code") or attributes["http.status_code"]
    return int(value.int_value)


def test_with_nothing_configured_neither_library_is_loaded_or_set_up() -> None:
    answers = run_app(OFF_SCRIPT, clean_environment())

    assert answers == {
        "status": HTTPStatus.OK,
        "imported": [],
        "tracer_provider_set": False,
        "sentry_active": False,
    }


def test_requests_arrive_at_the_collector_as_spans_named_by_route(
    traced_run: tuple[Any, Received],
) -> None:
    answers, received = traced_run
    spans = spans_by_name(received)

    assert answers[:2] == [HTTPStatus.OK, HTTPStatus.UNAUTHORIZED]
    route = "/users/<int:user_id>"  # the rule as written in the users routes
    service, _, attributes = spans[f"GET {route}"]
    assert service == "telemetry-test-api"
    assert status_code(attributes) == HTTPStatus.UNAUTHORIZED
    assert attributes["http.route"].string_value == route


def test_a_failed_request_is_a_span_with_its_500(traced_run: tuple[Any, Received]) -> None:
    _, received = traced_run

    _, span, attributes = spans_by_name(received)["POST /boom/<int:n>"]
    assert status_code(attributes) == HTTPStatus.INTERNAL_SERVER_ERROR
    assert span.status.code == span.status.STATUS_CODE_ERROR


def test_health_probes_are_not_traced(traced_run: tuple[Any, Received]) -> None:
    _, received = traced_run

    assert not any("/health" in name for name in spans_by_name(received))


def test_an_unhandled_error_reaches_sentry_without_personal_data(
    traced_run: tuple[Any, Received],
) -> None:
    answers, received = traced_run
    events = [
        json.loads(payload)
        for raw in received.envelopes
        for header, payload in parse_envelope(raw)
        if header["type"] == "event"
    ]

    assert answers[2] == [
        HTTPStatus.INTERNAL_SERVER_ERROR,
        {
            "error": "Internal server error",
            "status_code": 500,
            "request_id": answers[2][1]["request_id"],
        },
    ]
    assert len(events) == 1
    (event,) = events
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["environment"] == "testing"
    assert event["request"]["url"] == "http://localhost/boom/7"
    assert "user" not in event  # with personal data allowed: the client's address
    assert "REMOTE_ADDR" not in event["request"]["env"]
    sent = b"".join(received.envelopes).decode()
    assert [secret for secret in SECRETS.values() if secret in sent] == []


@pytest.mark.parametrize(
    ("environment", "enabled"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "api"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
    ],
)
def test_tracing_is_on_only_when_an_exporter_is_configured(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], enabled: bool
) -> None:
    for name in clean_environment().keys() ^ os.environ.keys():
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert Config().TRACING_ENABLED is enabled


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"),
        ("OTEL_TRACES_EXPORTER", "zipkin"),
    ],
)
def test_an_exporter_this_project_does_not_ship_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    config = TestingConfig()
    config.TRACING_ENABLED = True

    with pytest.raises(ConfigurationError, match=value):
        create_app(config)
