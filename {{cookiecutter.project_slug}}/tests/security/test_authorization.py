"""Object- and function-level authorization, checked on the server for every request."""

import json
from http import HTTPStatus

from app.extensions import db
from app.users import repository
from tests.helpers import PASSWORD


def test_user_cannot_read_another_user(client, admin, user_headers):
    response = client.get(f"/users/{admin.id}", headers=user_headers)

    assert response.json == {"error": "User not found", "status_code": 404}


def test_user_cannot_list_users(client, user_headers):
    assert client.get("/users", headers=user_headers).status_code == HTTPStatus.FORBIDDEN


def test_user_cannot_create_users_and_nothing_is_written(client, user_headers):
    before = repository.count()

    response = client.post(
        "/users", json={"email": "x@example.com", "name": "X"}, headers=user_headers
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert repository.count() == before


def test_self_registration_cannot_choose_a_role(client):
    response = client.post(
        "/auth/register",
        json={"email": "m@example.com", "name": "M", "password": PASSWORD, "role": "admin"},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert repository.get_by_email("m@example.com") is None


def test_demoted_admin_loses_admin_rights_at_once(client, admin, admin_headers):
    admin.role = repository.get_role("user")
    db.session.commit()

    assert client.get("/users", headers=admin_headers).status_code == HTTPStatus.FORBIDDEN


def test_no_response_carries_a_password_hash_or_a_foreign_token(client, admin, admin_headers):
    bodies = [
        client.post(
            "/auth/register",
            json={"email": "n@example.com", "name": "N", "password": PASSWORD},
        ),
        client.get("/users", headers=admin_headers),
        client.get(f"/users/{admin.id}", headers=admin_headers),
        client.post("/users", json={"email": "o@example.com", "name": "O"}, headers=admin_headers),
        client.post("/auth/login", json={"email": "n@example.com", "password": PASSWORD}),
    ]
    admin_token = admin_headers["Authorization"].removeprefix("Bearer ")

    for response in bodies:
        text = response.get_data(as_text=True)
        assert "pbkdf2" not in text and "password" not in json.loads(text)
        assert admin_token not in text
