"""Double-submit CSRF protection for the cookie-held refresh token."""

from http import HTTPStatus

from tests.helpers import PASSWORD

CSRF_HEADER = "X-CSRF-TOKEN"


def log_in(client, user):
    response = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.OK
    return response


def test_login_hands_the_csrf_value_to_clients_on_any_origin(client, user, csrf_on):
    response = client.post(
        "/auth/login",
        json={"email": user.email, "password": PASSWORD},
        headers={"Origin": "http://localhost:3000"},
    )

    assert len(response.headers["X-CSRF-Token"]) >= 32
    assert "X-CSRF-Token" in response.headers["Access-Control-Expose-Headers"]


def test_refresh_without_the_csrf_header_is_401(client, user, csrf_on):
    log_in(client, user)

    response = client.post("/auth/refresh")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json["error"].startswith("Missing or invalid credentials")


def test_refresh_with_a_wrong_csrf_value_is_401(client, user, csrf_on):
    log_in(client, user)

    response = client.post("/auth/refresh", headers={CSRF_HEADER: "not-the-value"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_refresh_with_the_csrf_value_from_login_succeeds(client, user, csrf_on):
    csrf = log_in(client, user).headers["X-CSRF-Token"]

    response = client.post("/auth/refresh", headers={CSRF_HEADER: csrf})

    assert response.status_code == HTTPStatus.OK
    assert response.headers["X-CSRF-Token"] != csrf


def test_cookie_logout_without_the_csrf_header_is_401(client, user, csrf_on):
    log_in(client, user)

    response = client.post("/auth/logout")

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_cookie_logout_with_the_csrf_header_revokes_the_session(client, user, csrf_on):
    login = log_in(client, user)
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}

    response = client.post("/auth/logout", headers={CSRF_HEADER: login.headers["X-CSRF-Token"]})

    assert response.status_code == HTTPStatus.OK
    assert client.get(f"/users/{user.id}", headers=headers).status_code == 401
