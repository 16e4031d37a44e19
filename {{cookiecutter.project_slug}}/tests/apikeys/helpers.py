"""API keys in tests: create one over HTTP, and send it."""

from flask.testing import FlaskClient


def create_key(client: FlaskClient, headers: dict[str, str], **body: object) -> dict:
    """POST /users/me/api-keys as the owner of `headers`; the whole answer, key included."""
    response = client.post("/users/me/api-keys", json={"name": "ci", **body}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def key_headers(key: dict) -> dict[str, str]:
    return {"X-API-Key": key["key"]}
