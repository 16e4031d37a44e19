"""GET /users/me, and PATCH and DELETE /users/<id>."""

from http import HTTPStatus

import pytest

from app.extensions import db
from app.users.models import User


def test_me_is_the_callers_account(client, user, user_headers):
    response = client.get("/users/me", headers=user_headers)

    assert (response.status_code, response.json) == (
        HTTPStatus.OK,
        {"id": user.id, "email": user.email, "name": user.name, "age": 30},
    )


def test_me_without_a_token_is_401(client):
    assert client.get("/users/me").status_code == HTTPStatus.UNAUTHORIZED


def test_users_edit_their_own_name_and_age(client, user, user_headers):
    response = client.patch(
        f"/users/{user.id}", headers=user_headers, json={"name": " <b>New</b> name ", "age": None}
    )

    assert (response.status_code, response.json) == (
        HTTPStatus.OK,
        {"id": user.id, "email": user.email, "name": "New name", "age": None},
    )


def test_admins_edit_others(client, user, admin_headers):
    response = client.patch(
        f"/users/{user.id}", headers=admin_headers, json={"role": "admin", "name": "Promoted"}
    )

    assert (response.status_code, response.json["name"]) == (HTTPStatus.OK, "Promoted")
    db.session.refresh(user)
    assert user.role.name == "admin"


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({}, {"_schema": ["Send at least one field to change."]}),
        ({"name": ""}, {"name": ["Length must be between 1 and 100."]}),
        ({"age": "30"}, {"age": ["Not a valid integer."]}),
        ({"role": "root"}, {"role": ["Must be one of: admin, user."]}),
        ({"is_active": "yes"}, {"is_active": ["Not a valid boolean."]}),
    ],
)
def test_invalid_edits_are_400(client, admin, admin_headers, body, details):
    response = client.patch(f"/users/{admin.id}", headers=admin_headers, json=body)

    assert (response.status_code, response.json) == (
        HTTPStatus.BAD_REQUEST,
        {"error": "Validation failed", "status_code": 400, "details": details},
    )


def test_deleting_a_missing_user_is_404(client, admin_headers):
    assert client.delete("/users/999", headers=admin_headers).status_code == HTTPStatus.NOT_FOUND


def test_admins_delete_users(client, user, admin_headers):
    response = client.delete(f"/users/{user.id}", headers=admin_headers)

    assert (response.status_code, response.get_data()) == (HTTPStatus.NO_CONTENT, b"")
    assert db.session.get(User, user.id) is None
