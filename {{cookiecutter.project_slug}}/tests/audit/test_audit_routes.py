"""Each audited action, made by a real request and read back through GET /audit-events."""

from http import HTTPStatus

import pytest

from app.users import service as user_service
from tests.audit.helpers import HERE, audit_log, browser_client, by, the_event
from tests.helpers import PASSWORD, plant_refresh_cookie, refresh_cookie


@pytest.fixture
def client(app):
    return browser_client(app)


def test_registration_is_recorded_with_where_it_came_from(client, admin_headers):
    body = {"email": "new@example.com", "name": "New", "password": PASSWORD}
    response = client.post("/auth/register", json=body)
    new_id = response.json["user_id"]

    assert the_event(client, admin_headers, "user.registered") == {
        "action": "user.registered",
        **by(new_id, new_id),
        **HERE,
    }


def test_the_address_is_the_clients_behind_a_trusted_proxy(make_app, admin, login):
    app = make_app(TRUSTED_PROXY_HOPS=1)
    client = app.test_client()
    body = {"email": "new@example.com", "name": "New", "password": PASSWORD}
    client.post("/auth/register", json=body, headers={"X-Forwarded-For": "203.0.113.7"})

    [event] = audit_log(client, login(admin), action="user.registered")

    assert event["ip_address"] == "203.0.113.7"


def test_a_long_user_agent_is_cut_to_255_characters(client, admin_headers):
    body = {"email": "new@example.com", "name": "New", "password": PASSWORD}
    client.post("/auth/register", json=body, headers={"User-Agent": "x" * 1000})

    assert the_event(client, admin_headers, "user.registered")["user_agent"] == "x" * 255


def test_login_is_recorded(client, user, admin_headers):
    client.post("/auth/login", json={"email": user.email, "password": PASSWORD})

    [event] = audit_log(client, admin_headers, action="auth.login_succeeded", actor_id=user.id)
    assert event["target_id"] == user.id


def test_a_failed_login_of_an_account_is_recorded_with_its_id(client, user, admin_headers):
    response = client.post("/auth/login", json={"email": user.email, "password": "wrong-one"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert the_event(client, admin_headers, "auth.login_failed") == {
        "action": "auth.login_failed",
        **by(None, user.id, reason="wrong_password"),
        **HERE,
    }


def test_a_failed_login_of_an_unknown_address_keeps_neither_id_nor_address(client, admin_headers):
    client.post("/auth/login", json={"email": "nobody@example.com", "password": "guess-1"})

    event = the_event(client, admin_headers, "auth.login_failed")
    assert event == {"action": "auth.login_failed", **by(None, None), **HERE}


def test_a_failed_login_of_a_deactivated_account_says_so(client, user, admin_headers):
    client.patch(f"/users/{user.id}", json={"is_active": False}, headers=admin_headers)

    client.post("/auth/login", json={"email": user.email, "password": PASSWORD})

    assert the_event(client, admin_headers, "auth.login_failed")["details"] == {
        "reason": "inactive"
    }


def test_logout_is_recorded(client, user, user_headers, admin_headers):
    client.post("/auth/logout", headers=user_headers)

    assert the_event(client, admin_headers, "auth.logout") == {
        "action": "auth.logout",
        **by(user.id, user.id),
        **HERE,
    }


def test_a_reused_refresh_token_is_recorded_with_the_revoked_session(client, app, user, admin):
    client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    stolen = refresh_cookie(client, app).value
    client.post("/auth/refresh")
    plant_refresh_cookie(client, app, stolen)

    assert client.post("/auth/refresh").status_code == HTTPStatus.UNAUTHORIZED
    admin_client = browser_client(app)
    login = admin_client.post("/auth/login", json={"email": admin.email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    assert the_event(admin_client, headers, "auth.refresh_token_reused") == {
        "action": "auth.refresh_token_reused",
        **by(user.id, user.id, session_revoked=True),
        **HERE,
    }


def test_a_password_change_is_recorded(client, user, user_headers, admin_headers):
    body = {"current_password": PASSWORD, "new_password": "another passphrase"}
    client.post("/auth/password", json=body, headers=user_headers)

    assert the_event(client, admin_headers, "account.password_changed") == {
        "action": "account.password_changed",
        **by(user.id, user.id),
        **HERE,
    }


def test_a_user_created_by_an_admin_is_recorded(client, admin, admin_headers):
    body = {"email": "made@example.com", "name": "Made"}
    made = client.post("/users", json=body, headers=admin_headers).json

    [event] = audit_log(client, admin_headers, action="user.created", actor_id=admin.id)
    assert (event["target_id"], event["details"]) == (made["id"], {"role": "user"})


def test_a_role_change_is_recorded_from_and_to(client, admin, user, admin_headers):
    client.patch(f"/users/{user.id}", json={"role": "admin"}, headers=admin_headers)

    assert the_event(client, admin_headers, "user.role_changed") == {
        "action": "user.role_changed",
        **by(admin.id, user.id, **{"from": "user", "to": "admin"}),
        **HERE,
    }


def test_setting_the_role_it_has_records_nothing(client, user, admin_headers):
    client.patch(f"/users/{user.id}", json={"role": "user"}, headers=admin_headers)

    assert audit_log(client, admin_headers, action="user.role_changed") == []


def test_deactivation_and_reactivation_are_recorded(client, admin, user, admin_headers):
    client.patch(f"/users/{user.id}", json={"is_active": False}, headers=admin_headers)
    client.patch(f"/users/{user.id}", json={"is_active": True}, headers=admin_headers)

    events = audit_log(client, admin_headers, target_user_id=user.id, actor_id=admin.id)
    assert [event["action"] for event in events] == ["user.reactivated", "user.deactivated"]


def test_a_deletion_is_recorded_and_outlives_the_account(client, admin, user, admin_headers):
    client.delete(f"/users/{user.id}", headers=admin_headers)

    assert the_event(client, admin_headers, "user.deleted") == {
        "action": "user.deleted",
        **by(admin.id, user.id),
        **HERE,
    }


def test_an_admin_route_refusal_is_recorded(client, user, user_headers, admin_headers):
    assert client.get("/users", headers=user_headers).status_code == HTTPStatus.FORBIDDEN

    assert the_event(client, admin_headers, "access.denied") == {
        "action": "access.denied",
        **by(user.id, None, endpoint="users.list_users", method="GET"),
        **HERE,
    }


def test_a_user_raising_their_own_role_is_refused_and_recorded(
    client, user, user_headers, admin_headers
):
    response = client.patch(f"/users/{user.id}", json={"role": "admin"}, headers=user_headers)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert the_event(client, admin_headers, "access.denied") == {
        "action": "access.denied",
        **by(user.id, user.id, fields="role"),
        **HERE,
    }


def test_a_change_that_fails_before_its_commit_leaves_no_event(client, user, admin_headers):
    def fail(_user_id):
        raise RuntimeError("a subscriber failed")

    with user_service.user_deactivated.connected_to(fail):
        body = {"role": "admin", "is_active": False}
        response = client.patch(f"/users/{user.id}", json=body, headers=admin_headers)

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    events = audit_log(client, admin_headers, target_user_id=user.id)
    assert [event["action"] for event in events] == ["user.created"]
    login = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert login.status_code == HTTPStatus.OK  # still active
