"""/metrics under gunicorn with two workers: one listener of its own, every worker's requests."""

import json
import urllib.request
from http import HTTPStatus

import pytest

from tests.conftest import free_port, http, running, wait_for_http
from tests.test_limits import CONCURRENT, concurrent_logins, prepare, tally

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
    # Memory limits: each worker counts logins alone, so more than 10 of 20 concurrent logins
    # passing shows that both workers answered some of them.
    project, venv, env = prepare(bake, "memory", tmp_path, None)
    port, metrics_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env |= {
        "BIND": f"127.0.0.1:{port}",
        "METRICS_BIND": f"127.0.0.1:{metrics_port}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "WEB_CONCURRENCY": str(WORKERS),
    }
    # Started as the README says for production: gunicorn reads gunicorn.conf.py.
    server = [str(venv / "bin" / "gunicorn"), "wsgi:app"]

    with running(server, project, env, tmp_path / "server.log"):
        wait_for_http(f"{base}/health")
        ok, limited = tally(concurrent_logins(base))
        public = http("GET", f"{base}/metrics")
        samples = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        missing = http("GET", f"http://127.0.0.1:{metrics_port}/health")

    print(json.dumps({"workers": WORKERS, "ok": ok, "limited": limited}))
    assert ok + limited == CONCURRENT
    assert ok > 10
    login = ("POST", "/auth/login")
    for status, expected in ((HTTPStatus.OK, ok), (HTTPStatus.TOO_MANY_REQUESTS, limited)):
        for name in ("http_requests_total", "http_request_duration_seconds_count"):
            assert samples.get((name, *login, str(status.value)), 0) == expected
    assert public[:2] == (HTTPStatus.NOT_FOUND, {"error": "Not Found", "status_code": 404})
    assert samples["http_requests_total", "GET", "unmatched", "404"] == 1
    assert missing[:2] == (HTTPStatus.NOT_FOUND, {"error": "Not Found", "status_code": 404})
