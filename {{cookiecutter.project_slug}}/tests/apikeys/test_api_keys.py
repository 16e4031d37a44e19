"""API keys under attack, by real requests: only the hash at rest, revoked, expired and unknown
keys, keys of deactivated and deleted accounts, account management refused, limits, and how
often a key's use is written."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from sqlalchemy import text

from app.apikeys import service as key_service
from app.apikeys.service import hash_key
from app.core.database import utcnow
from app.extensions import db
from app.users.models import Actor
from tests.apikeys.helpers import create_key, key_headers
from tests.helpers import PASSWORD

REFUSED = {"error": "Invalid, expired or revoked API key", "status_code": 401}
NOT_WITH_A_KEY = {
    "error": "API keys cannot manage the account: sign in with your password for this",
    "status_code": 403,
}


def me(client, key):
    return client.get("/users/me", headers=key_headers(key))


def test_only_the_keys_hash_is_stored(client, user_headers):
    key = create_key(client, user_headers)

    rows = db.session.execute(text("SELECT * FROM api_keys")).all()
    stored = [" ".join(str(value) for value in row) for row in rows]

    assert len(stored) == 1
    assert key["key"] not in stored[0]
    assert hash_key(key["key"]) in stored[0]


def test_a_key_acts_as_the_same_user_an_access_token_does(client, user, user_headers):
    key = create_key(client, user_headers)

    assert key_service.authenticate(key["key"], None) == Actor.of(user)


def test_an_unknown_key_is_refused(client, user_headers):
    key = create_key(client, user_headers)
    forged = {"key": key["key"][:-1] + ("A" if key["key"][-1] != "A" else "B")}

    response = me(client, forged)

    assert (response.status_code, response.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


def test_a_revoked_key_is_refused_at_once(client, user_headers):
    key = create_key(client, user_headers)
    assert me(client, key).status_code == HTTPStatus.OK

    client.delete(f"/users/me/api-keys/{key['id']}", headers=user_headers)

    response = me(client, key)
    assert (response.status_code, response.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


def test_an_expired_key_is_refused(client, user_headers, monkeypatch):
    key = create_key(client, user_headers, expires_in_days=1)
    later = utcnow() + timedelta(days=1, seconds=1)
    monkeypatch.setattr(key_service, "utcnow", lambda: later)

    response = me(client, key)

    assert (response.status_code, response.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


def test_the_key_of_a_deactivated_user_is_refused_and_stays_revoked(
    client, user, user_headers, admin_headers
):
    key = create_key(client, user_headers)

    client.patch(f"/users/{user.id}", json={"is_active": False}, headers=admin_headers)
    refused = me(client, key)
    client.patch(f"/users/{user.id}", json={"is_active": True}, headers=admin_headers)

    assert (refused.status_code, refused.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)
    assert me(client, key).status_code == HTTPStatus.UNAUTHORIZED


def test_the_key_of_a_user_made_inactive_behind_the_apps_back_is_refused(
    client, user, user_headers
):
    key = create_key(client, user_headers)
    # Plain SQL, as an operator would: no deactivation runs, so the key is not revoked.
    db.session.execute(
        text("UPDATE users SET is_active = :no WHERE id = :id"), {"no": False, "id": user.id}
    )
    db.session.commit()

    response = me(client, key)

    assert (response.status_code, response.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


def test_deleting_the_user_deletes_its_keys(client, user, user_headers, admin_headers):
    key = create_key(client, user_headers)

    client.delete(f"/users/{user.id}", headers=admin_headers)

    assert me(client, key).status_code == HTTPStatus.UNAUTHORIZED
    assert db.session.execute(text("SELECT COUNT(*) FROM api_keys")).scalar_one() == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/auth/password", {"current_password": PASSWORD, "new_password": "x" * 12}),
        ("post", "/users/me/api-keys", {"name": "another"}),
        ("get", "/users/me/api-keys", None),
        ("delete", "/users/me/api-keys/1", None),
    ],
)
def test_a_key_cannot_manage_the_account(client, user_headers, method, path, body):
    key = create_key(client, user_headers)

    response = getattr(client, method)(path, json=body, headers=key_headers(key))

    assert (response.status_code, response.json) == (HTTPStatus.FORBIDDEN, NOT_WITH_A_KEY)


def test_a_key_cannot_change_the_email_address(client, user, user_headers):
    key = create_key(client, user_headers)

    response = client.patch(
        f"/users/{user.id}", json={"email": "eve@example.com"}, headers=key_headers(key)
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_a_key_with_a_token_beside_it_still_cannot_manage_the_account(client, user_headers):
    key = create_key(client, user_headers)

    response = client.get("/users/me/api-keys", headers=user_headers | key_headers(key))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_limits_count_key_requests_as_token_requests(client, app, user_headers):
    key = create_key(client, user_headers)
    app.config["RATE_LIMITS"]["users"] = "3 per minute"
    try:
        answers = [me(client, key).status_code for _ in range(4)]
    finally:
        app.config["RATE_LIMITS"]["users"] = "30 per minute"

    assert answers == [200, 200, 200, HTTPStatus.TOO_MANY_REQUESTS]


def test_last_used_is_written_at_most_once_a_minute(client, user_headers, monkeypatch):
    key = create_key(client, user_headers)
    start = utcnow().replace(microsecond=0)  # MySQL's DATETIME keeps whole seconds
    for seconds in (0, 30, 59):
        monkeypatch.setattr(key_service, "utcnow", lambda s=seconds: start + timedelta(seconds=s))
        assert me(client, key).status_code == HTTPStatus.OK
    first = client.get("/users/me/api-keys", headers=user_headers).json[0]["last_used_at"]
    monkeypatch.setattr(key_service, "utcnow", lambda: start + timedelta(seconds=61))
    me(client, key)
    second = client.get("/users/me/api-keys", headers=user_headers).json[0]["last_used_at"]

    assert first == start.isoformat()
    assert second == (start + timedelta(seconds=61)).isoformat()
