"""Per-request cost of tracing and error reporting, in process with Flask's test client.

From a render (sqlite, memory), with its own interpreter, one mode per process (a process has
one tracer provider): `PYTHONPATH=. .venv/bin/python <template>/bench/telemetry_cost.py MODE`,
MODE one of off, tracing, sentry, on (both). Tracing and Sentry send to an HTTP server on
127.0.0.1 that accepts and discards what it is sent. Prints the median microseconds per request
of ROUNDS rounds of REQUESTS `GET /health` and authenticated `GET /users/1`.
"""

import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1]
ROUNDS, REQUESTS = 5, 2000


class Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


if MODE != "off":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = url
    os.environ["OTEL_SERVICE_NAME"] = "bench"

from app import create_app  # noqa: E402
from app.config import TestingConfig  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

config = TestingConfig()
config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
config.RATELIMIT_ENABLED = False
config.TRACING_ENABLED = MODE in ("on", "tracing")
if MODE in ("on", "sentry"):
    config.SENTRY_DSN = f"http://key@{url.removeprefix('http://')}/1"
app = create_app(config)
logging.getLogger("app").setLevel(logging.WARNING)
with app.app_context():
    upgrade()
client = app.test_client()
body = {"email": "bench@example.com", "password": "correct horse battery", "name": "Bench"}
client.post("/auth/register", json=body)
login = {key: body[key] for key in ("email", "password")}
token = client.post("/auth/login", json=login).get_json()["access_token"]
headers = {"Authorization": f"Bearer {token}"}


def per_request_us(path: str, headers: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    for _ in range(REQUESTS):
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return (time.perf_counter() - started) / REQUESTS * 1e6


results: dict[str, list[float]] = {"health": [], "user": []}
for _ in range(ROUNDS):
    results["health"].append(per_request_us("/health"))
    results["user"].append(per_request_us("/users/1", headers))  # the user registered above
print(MODE, {k: round(statistics.median(v), 1) for k, v in results.items()})
