"""Profile edits and admin account control: no mass assignment, no lock-out of the last admin,
deactivation and deletion end the account's sessions at once."""

from http import HTTPStatus

import pytest

from app.extensions import db
from app.users.models import ROLE_ADMIN, User

LAST_ADMIN = {
    "error": "The last active admin cannot be deleted, demoted or deactivated",
    "status_code": 409,
}
OWN_ADMIN = {
    "error": "Admins cannot delete, demote or deactivate their own account; another admin can",
    "status_code": 403,
}
FORBIDDEN = {"error": "You do not have permission to perform this action", "status_code": 403}


def test_registering_with_a_role_is_refused(client):
    response = client.post(
        "/auth/register",
        json={
            "email": "eve@example.com",
            "name": "Eve",
            "password": "long enough",
            "role": "admin",
        },
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert db.session.query(User).count() == 0


@pytest.mark.parametrize("change", [{"role": "admin"}, {"is_active": False}])
def test_users_cannot_change_their_own_role_or_active_flag(client, user, user_headers, change):
    response = client.patch(f"/users/{user.id}", headers=user_headers, json=change)

    assert (response.status_code, response.json) == (HTTPStatus.FORBIDDEN, FORBIDDEN)
    db.session.refresh(user)
    assert (user.role.name, user.is_active) == ("user", True)


@pytest.mark.parametrize("field", ["email", "password", "id", "password_hash"])
def test_patching_any_other_field_is_a_400(client, user, user_headers, field):
    response = client.patch(f"/users/{user.id}", headers=user_headers, json={field: "x"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json["details"] == {field: ["Unknown field."]}


def test_users_cannot_edit_someone_else(client, make_user, user, user_headers):
    other = make_user()

    response = client.patch(f"/users/{other.id}", headers=user_headers, json={"name": "Mallory"})

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_users_cannot_delete_accounts(client, user, user_headers):
    response = client.delete(f"/users/{user.id}", headers=user_headers)

    assert (response.status_code, response.json) == (HTTPStatus.FORBIDDEN, FORBIDDEN)


@pytest.mark.parametrize("change", [{"role": "user"}, {"is_active": False}])
def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    client, admin, admin_headers, change
):
    response = client.patch(f"/users/{admin.id}", headers=admin_headers, json=change)

    assert (response.status_code, response.json) == (HTTPStatus.CONFLICT, LAST_ADMIN)


def test_the_last_active_admin_cannot_be_deleted(client, admin, admin_headers):
    response = client.delete(f"/users/{admin.id}", headers=admin_headers)

    assert (response.status_code, response.json) == (HTTPStatus.CONFLICT, LAST_ADMIN)


def test_an_inactive_admin_does_not_count_as_the_other_admin(
    client, make_user, admin, admin_headers
):
    make_user(role=ROLE_ADMIN, email="idle@example.com").is_active = False
    db.session.commit()

    response = client.delete(f"/users/{admin.id}", headers=admin_headers)

    assert response.status_code == HTTPStatus.CONFLICT


@pytest.mark.parametrize(
    ("method", "change"),
    [("patch", {"role": "user"}), ("patch", {"is_active": False}), ("delete", None)],
)
def test_admins_cannot_remove_their_own_rights_even_with_another_admin(
    client, make_user, admin, admin_headers, method, change
):
    make_user(role=ROLE_ADMIN, email="second@example.com")

    response = getattr(client, method)(f"/users/{admin.id}", headers=admin_headers, json=change)

    assert (response.status_code, response.json) == (HTTPStatus.FORBIDDEN, OWN_ADMIN)
    db.session.refresh(admin)
    assert (admin.role.name, admin.is_active) == ("admin", True)


def test_an_admin_may_demote_another_admin(client, make_user, admin_headers):
    other = make_user(role=ROLE_ADMIN, email="second@example.com")

    response = client.patch(f"/users/{other.id}", headers=admin_headers, json={"role": "user"})

    assert response.status_code == HTTPStatus.OK
    db.session.refresh(other)
    assert other.role.name == "user"


def test_deactivating_an_account_revokes_its_sessions_at_once(client, user, login, admin_headers):
    headers = login(user)

    client.patch(f"/users/{user.id}", headers=admin_headers, json={"is_active": False})

    assert client.get("/users/me", headers=headers).status_code == HTTPStatus.UNAUTHORIZED
    db.session.expire_all()
    assert (
        client.patch(
            f"/users/{user.id}", headers=admin_headers, json={"is_active": True}
        ).status_code
        == HTTPStatus.OK
    )
    assert client.get("/users/me", headers=headers).status_code == HTTPStatus.UNAUTHORIZED
