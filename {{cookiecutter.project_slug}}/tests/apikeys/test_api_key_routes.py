"""/users/me/api-keys and /users/<id>/api-keys over HTTP: each answer, and one per failure."""

import re
from datetime import datetime, timedelta
from http import HTTPStatus

import pytest

from app.users.models import MAX_ID
from tests.apikeys.helpers import create_key, key_headers


def test_create_shows_the_key_once_with_its_prefix(client, app, user_headers):
    response = client.post("/users/me/api-keys", json={"name": "deploy bot"}, headers=user_headers)

    assert response.status_code == HTTPStatus.CREATED
    body = response.json
    prefix = app.config["API_KEY_PREFIX"]
    assert re.fullmatch(re.escape(prefix) + r"[A-Za-z0-9]{40}", body["key"])
    assert body["prefix"] == body["key"][: len(prefix) + 4]
    assert (body["name"], body["expires_at"], body["last_used_at"]) == ("deploy bot", None, None)
    listed = client.get("/users/me/api-keys", headers=user_headers).json
    assert listed == [{k: v for k, v in body.items() if k != "key"}]


def test_a_key_may_expire(client, user_headers):
    body = create_key(client, user_headers, expires_in_days=30)

    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["expires_at"]) - created == timedelta(days=30)


def test_a_key_acts_as_its_user(client, user, user_headers):
    key = create_key(client, user_headers)

    response = client.get("/users/me", headers=key_headers(key))

    assert response.status_code == HTTPStatus.OK
    assert response.json["id"] == user.id


def test_a_key_has_its_users_current_role(client, user, user_headers, admin_headers):
    key = create_key(client, user_headers)
    assert client.get("/users", headers=key_headers(key)).status_code == HTTPStatus.FORBIDDEN

    client.patch(f"/users/{user.id}", json={"role": "admin"}, headers=admin_headers)

    assert client.get("/users", headers=key_headers(key)).status_code == HTTPStatus.OK


def test_revoke_own_key_is_204_and_drops_it_from_the_list(client, user_headers):
    key = create_key(client, user_headers)

    response = client.delete(f"/users/me/api-keys/{key['id']}", headers=user_headers)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert client.get("/users/me/api-keys", headers=user_headers).json == []


def test_revoking_someone_elses_key_is_404(client, user_headers, make_user, login):
    key = create_key(client, user_headers)

    response = client.delete(f"/users/me/api-keys/{key['id']}", headers=login(make_user()))

    assert response.json == {"error": "API key not found", "status_code": 404}


# Past 32 bits a database server refuses the number; past 64 bits SQLite does.
@pytest.mark.parametrize("number", [MAX_ID + 1, 2**64])
@pytest.mark.parametrize("path", ["/users/me/api-keys/{}", "/users/{}/api-keys/1"])
def test_revoking_an_id_no_column_can_hold_is_404(client, admin_headers, path, number):
    response = client.delete(path.format(number), headers=admin_headers)

    assert response.json == {"error": "API key not found", "status_code": 404}


def test_admins_list_and_revoke_anyones_keys(client, user, user_headers, admin_headers):
    key = create_key(client, user_headers)

    listed = client.get(f"/users/{user.id}/api-keys", headers=admin_headers)
    revoked = client.delete(f"/users/{user.id}/api-keys/{key['id']}", headers=admin_headers)

    assert [item["id"] for item in listed.json] == [key["id"]]
    assert revoked.status_code == HTTPStatus.NO_CONTENT
    assert client.get("/users/me", headers=key_headers(key)).status_code == 401


def test_users_cannot_list_others_keys(client, user, make_user, login):
    response = client.get(f"/users/{user.id}/api-keys", headers=login(make_user()))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_admin_listing_keys_of_no_user_is_404(client, admin_headers):
    response = client.get("/users/99999/api-keys", headers=admin_headers)

    assert response.status_code == HTTPStatus.NOT_FOUND
