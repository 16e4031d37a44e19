"""/metrics under gunicorn with two workers: one listener of its own, every worker's requests."""

import json
import urllib.request
from http import HTTPStatus

import pytest

from tests.conftest import free_port, http, running, wait_for_http
from tests.test_limits import EMAIL, PASSWORD, prepare

WORKERS = 2


def scrape(url: str) -> dict[tuple[str, str, str, str], float]:
    """Parse the text format into {(sample, method, route, status): value} for our metrics."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line.startswith(("http_requests_total{", "http_request_duration_seconds_count{")):
            continue
        name, _, rest = line.partition("{")
        labels_text, _, value = rest.rpartition("} ")
        labels = dict(
            (key, raw.strip('"'))
            for key, raw in (pair.split("=", 1) for pair in labels_text.split(","))
        )
        samples[name, labels["method"], labels["route"], labels["status"]] = float(value)
    return samples


@pytest.mark.slow
def test_metrics_count_the_requests_of_every_worker_on_their_own_listener(bake, tmp_path):
    project, venv, env = prepare(bake, "memory", tmp_path, None)
    port, metrics_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env |= {
        "BIND": f"127.0.0.1:{port}",
        "METRICS_BIND": f"127.0.0.1:{metrics_port}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "WEB_CONCURRENCY": str(WORKERS),
        # gunicorn's documented max_requests: each worker is replaced after one request, so every
        # request below is answered by a process of its own, and the scrape has to add up the
        # counts of processes living and gone (no reliance on how requests spread over workers).
        "GUNICORN_CMD_ARGS": "--max-requests 1",
    }
    passwords = [PASSWORD, "wrong-password", PASSWORD, "wrong-password", PASSWORD]
    log = tmp_path / "server.log"
    # Started as the README says for production: gunicorn reads gunicorn.conf.py.
    server = [str(venv / "bin" / "gunicorn"), "wsgi:app"]

    with running(server, project, env, log):
        wait_for_http(f"{base}/health")
        statuses = [
            http("POST", f"{base}/auth/login", {"email": EMAIL, "password": password})[0]
            for password in passwords
        ]
        public = http("GET", f"{base}/metrics")
        samples = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        missing = http("GET", f"http://127.0.0.1:{metrics_port}/health")

    booted = log.read_text().count("Booting worker with pid")
    print(json.dumps({"workers": WORKERS, "statuses": statuses, "booted": booted}))
    assert statuses == [HTTPStatus.OK, HTTPStatus.UNAUTHORIZED] * 2 + [HTTPStatus.OK]
    assert booted >= WORKERS + len(passwords)
    login = ("POST", "/auth/login")
    for status, expected in ((HTTPStatus.OK, 3), (HTTPStatus.UNAUTHORIZED, 2)):
        for name in ("http_requests_total", "http_request_duration_seconds_count"):
            assert samples.get((name, *login, str(status.value)), 0) == expected
    assert public[:2] == (HTTPStatus.NOT_FOUND, {"error": "Not Found", "status_code": 404})
    assert samples["http_requests_total", "GET", "unmatched", "404"] == 1
    assert missing[:2] == (HTTPStatus.NOT_FOUND, {"error": "Not Found", "status_code": 404})
