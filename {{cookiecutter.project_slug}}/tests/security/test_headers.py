"""Security headers on every response, and CORS for exact origins only."""

from http import HTTPStatus

import pytest

HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/health"), ("GET", "/nowhere"), ("DELETE", "/users"), ("POST", "/auth/login")],
    ids=["ok", "404", "405", "400"],
)
def test_security_headers_are_on_every_response(client, method, path):
    response = client.open(path, method=method, json={})

    assert {name: response.headers.get(name) for name in HEADERS} == HEADERS


def test_auth_responses_are_not_cached(client, user):
    response = client.post("/auth/login", json={"email": user.email, "password": "x"})

    assert response.headers["Cache-Control"] == "no-store"


def test_no_redirect_to_https_inside_the_app(client):
    assert client.get("/health", base_url="http://localhost").status_code == HTTPStatus.OK


def test_listed_origin_gets_credentialed_cors(client):
    response = client.post("/auth/login", json={}, headers={"Origin": "http://localhost:3000"})

    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://localhost:3000.evil.example",
        "http://evil.localhost:3000",
        "https://localhost:3000",
        "http://localhost:30000",
        "null",
    ],
)
def test_other_origins_get_no_cors_grant(client, origin):
    preflight = client.options(
        "/auth/login",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    simple = client.post("/auth/login", json={}, headers={"Origin": origin})

    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Origin" not in simple.headers


@pytest.mark.parametrize("method", ["TRACE", "PUT"])
def test_unlisted_methods_are_json_405(client, method):
    response = client.open("/auth/login", method=method)

    assert response.json == {"error": "Method Not Allowed", "status_code": 405}


def test_probes_carry_no_cors_grant(client):
    response = client.get("/health", headers={"Origin": "http://localhost:3000"})

    assert "Access-Control-Allow-Origin" not in response.headers


def test_endpoints_keep_their_own_policy(client):
    api, docs = client.get("/health"), client.get("/docs")

    assert api.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
    assert "script-src 'self'" in docs.headers["Content-Security-Policy"]
    assert (
        client.get("/health").headers["Content-Security-Policy"]
        == HEADERS["Content-Security-Policy"]
    )
