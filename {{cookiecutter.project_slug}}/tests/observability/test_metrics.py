"""Prometheus metrics by route template, served only on the metrics listener; drain readiness."""

from http import HTTPStatus

import pytest
from prometheus_client import REGISTRY

from app import create_app
from app.config import TestingConfig
from app.observability.metrics import clear_multiprocess_dir

# The rule as routed, converter arguments included; never the raw path.
USER_ROUTE = "/users/<int:user_id>"


def count(method: str, route: str, status: int) -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


def timed(method: str, route: str, status: int) -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) or 0.0


def test_requests_are_counted_and_timed_by_route_template(client, user, user_headers):
    before = count("GET", USER_ROUTE, 200), count("GET", USER_ROUTE, 404)
    timed_before = timed("GET", USER_ROUTE, 200)

    client.get(f"/users/{user.id}", headers=user_headers)
    client.get(f"/users/{user.id}", headers=user_headers)
    client.get(f"/users/{user.id + 1000}", headers=user_headers)

    after = count("GET", USER_ROUTE, 200), count("GET", USER_ROUTE, 404)
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)
    assert timed("GET", USER_ROUTE, 200) - timed_before == 2


def test_unmatched_paths_share_one_label(client):
    before = count("GET", "unmatched", 404)

    client.get("/no/such/thing")
    client.get("/another/missing/path")

    assert count("GET", "unmatched", 404) - before == 2
    assert (
        REGISTRY.get_sample_value(
            "http_requests_total", {"method": "GET", "route": "/no/such/thing", "status": "404"}
        )
        is None
    )


def test_unusual_methods_are_counted_as_other(client):
    before = count("other", "unmatched", 405)

    client.open("/users", method="TRACE")

    assert count("other", "unmatched", 405) - before == 1


def test_metrics_are_not_on_the_public_port(client):
    response = client.get("/metrics")

    assert (response.status_code, response.json) == (
        HTTPStatus.NOT_FOUND,
        {"error": "Not Found", "status_code": 404},
    )


@pytest.fixture
def metrics_app(monkeypatch):
    monkeypatch.setenv("METRICS_BIND", "127.0.0.1:9464")
    return create_app(TestingConfig())


def test_metrics_listener_serves_the_prometheus_text_format(metrics_app):
    client = metrics_app.test_client()
    client.get("/health")

    response = client.get("/metrics", base_url="http://127.0.0.1:9464")

    assert response.status_code == HTTPStatus.OK
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert "# TYPE http_requests_total counter" in text
    assert 'http_requests_total{method="GET",route="/health",status="200"}' in text
    assert "http_request_duration_seconds_bucket{" in text


def test_metrics_listener_serves_nothing_else(metrics_app):
    client = metrics_app.test_client()

    response = client.get("/health", base_url="http://127.0.0.1:9464")

    assert (response.status_code, response.json) == (
        HTTPStatus.NOT_FOUND,
        {"error": "Not Found", "status_code": 404},
    )


def test_public_port_of_an_app_with_a_metrics_listener_has_no_metrics(metrics_app):
    response = metrics_app.test_client().get("/metrics", base_url="http://127.0.0.1:8000")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_multiprocess_dir_is_emptied_of_old_runs(tmp_path, monkeypatch):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"old")
    (directory / "keep.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))

    clear_multiprocess_dir()

    assert sorted(path.name for path in directory.iterdir()) == ["keep.txt"]


def test_ready_is_503_while_the_drain_file_exists(app, client, tmp_path, monkeypatch):
    drain_file = tmp_path / "draining"
    monkeypatch.setitem(app.config, "DRAIN_FILE", str(drain_file))
    assert client.get("/ready").status_code == HTTPStatus.OK

    drain_file.touch()
    response = client.get("/ready")

    assert (response.status_code, response.json) == (
        HTTPStatus.SERVICE_UNAVAILABLE,
        {"status": "draining", "checks": {}},
    )
    assert client.get("/health").status_code == HTTPStatus.OK
    drain_file.unlink()
    assert client.get("/ready").status_code == HTTPStatus.OK


def test_drain_file_is_off_when_unset(app, client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "draining").touch()  # a stray file named like one changes nothing
    monkeypatch.setitem(app.config, "DRAIN_FILE", "")

    assert client.get("/ready").status_code == HTTPStatus.OK
