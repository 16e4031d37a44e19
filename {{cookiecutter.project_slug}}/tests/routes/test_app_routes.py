"""App-wide behaviour over HTTP: probes, JSON errors, headers, CORS and request ids."""

from http import HTTPStatus

import pytest
from flask import Blueprint

from app import create_app
from app.core.config import TestingConfig


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


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
        ("Referrer-Policy", "no-referrer"),
    ],
)
@pytest.mark.parametrize("path", ["/health", "/no/such/thing"])
def test_security_headers_are_on_every_response(client, path, header, value):
    assert client.get(path).headers[header] == value


def test_listed_origin_gets_credentialed_cors(client):
    response = client.get("/health", headers={"Origin": "http://localhost:3000"})

    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://localhost:3000.evil.example", "null"]
)
def test_unlisted_origin_gets_no_cors_headers(client, origin):
    response = client.get("/health", headers={"Origin": origin})

    assert "Access-Control-Allow-Origin" not in response.headers


def test_well_formed_request_id_is_echoed(client):
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})

    assert response.headers["X-Request-ID"] == "abc-123"


def test_malformed_request_id_is_replaced(client):
    response = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces" * 10})

    assert response.headers["X-Request-ID"] != "bad id\twith spaces" * 10
    assert len(response.headers["X-Request-ID"]) == 32


def test_unexpected_error_is_generic_json_500_with_request_id():
    def explode():
        raise RuntimeError("secret internals: SELECT * FROM users")

    app = create_app(TestingConfig())
    blueprint = Blueprint("boom", __name__)
    blueprint.add_url_rule("/boom", view_func=explode)
    app.register_blueprint(blueprint)

    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-500"})

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.json == {
        "error": "Internal server error",
        "status_code": 500,
        "request_id": "req-500",
    }
    assert "secret internals" not in response.get_data(as_text=True)
