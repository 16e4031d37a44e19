"""App-wide behaviour over HTTP: probes, JSON errors, headers, CORS and request ids."""

from http import HTTPStatus

import pytest


def test_health_is_ok(client):
    response = client.get("/health")

    assert (response.status_code, response.json) == (HTTPStatus.OK, {"status": "ok"})


def test_ready_checks_every_dependency(client, app):
    expected = {"database": "ok"}
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        expected["redis"] = "ok"

    response = client.get("/ready")

    assert response.status_code == HTTPStatus.OK
    assert response.json == {"status": "ready", "checks": expected}


def test_unknown_route_is_json_404(client):
    response = client.get("/no/such/thing")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json == {"error": "Not Found", "status_code": 404}


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH", "TRACE"])
def test_wrong_method_is_json_405_with_allow(client, method):
    response = client.open("/users", method=method)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json == {"error": "Method Not Allowed", "status_code": 405}
    assert "GET" in response.headers["Allow"]


def test_well_formed_request_id_is_echoed(client):
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})

    assert response.headers["X-Request-ID"] == "abc-123"


def test_malformed_request_id_is_replaced(client):
    response = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces" * 10})

    assert response.headers["X-Request-ID"] != "bad id\twith spaces" * 10
    assert len(response.headers["X-Request-ID"]) == 32
