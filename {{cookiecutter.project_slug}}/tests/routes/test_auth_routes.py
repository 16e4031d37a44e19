"""Auth endpoints over HTTP: status codes, bodies, cookies, limits and token handling."""

from http import HTTPStatus

from app.users import repository
from tests.helpers import PASSWORD


def register(client, **overrides):
    body = {"email": "user@example.com", "name": "John Doe", "password": PASSWORD, "age": 25}
    return client.post("/auth/register", json=body | overrides)


def refresh_cookie(client, app):
    return client.get_cookie(app.config["JWT_REFRESH_COOKIE_NAME"], path="/auth")


def test_register_is_201_with_message_and_user_id(client):
    response = register(client)

    assert response.status_code == HTTPStatus.CREATED
    assert response.json == {
        "message": "User registered successfully",
        "user_id": repository.get_by_email("user@example.com").id,
    }


def test_register_with_taken_email_in_other_case_is_409(client):
    register(client)

    response = register(client, email="USER@example.com")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json == {
        "error": "A user with this email already exists",
        "status_code": HTTPStatus.CONFLICT,
    }


def test_register_with_role_field_is_400_with_details(client):
    response = register(client, role="admin")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json == {
        "error": "Validation failed",
        "status_code": HTTPStatus.BAD_REQUEST,
        "details": {"role": ["Unknown field."]},
    }


def test_register_strips_html_but_keeps_punctuation(client, admin_headers):
    user_id = register(client, name="<b>O'Brien; Jr.</b>").json["user_id"]

    shown = client.get(f"/users/{user_id}", headers=admin_headers).json

    assert shown["name"] == "O'Brien; Jr."


def test_password_with_quotes_and_semicolons_is_kept_verbatim(client):
    password = 'it\'s; "quoted" <b>&amp;'
    register(client, password=password)

    response = client.post("/auth/login", json={"email": "user@example.com", "password": password})

    assert response.status_code == HTTPStatus.OK


def test_register_is_limited_to_five_an_hour(client):
    statuses = [register(client, email=f"u{i}@example.com").status_code for i in range(6)]

    assert statuses == [HTTPStatus.CREATED] * 5 + [HTTPStatus.TOO_MANY_REQUESTS]


def test_login_returns_access_token_and_user(client, user):
    response = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK
    assert response.json == {
        "access_token": response.json["access_token"],
        "user": {"id": user.id, "email": user.email, "name": user.name},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_login_email_is_case_insensitive(client, user):
    response = client.post("/auth/login", json={"email": user.email.upper(), "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK


def test_login_with_wrong_password_is_401(client, user):
    response = client.post("/auth/login", json={"email": user.email, "password": "wrong-pass"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json == {"error": "Invalid email or password", "status_code": 401}


def test_login_is_limited_to_ten_a_minute_with_json_429(client, user):
    for _ in range(10):
        client.post("/auth/login", json={"email": user.email, "password": PASSWORD})

    response = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json == {
        "error": "Rate limit exceeded: 10 per 1 minute",
        "status_code": HTTPStatus.TOO_MANY_REQUESTS,
    }
    assert int(response.headers["Retry-After"]) > 0


def test_refresh_reads_the_cookie_set_at_login(client, app, user):
    client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    first = refresh_cookie(client, app).value

    response = client.post("/auth/refresh")

    assert response.status_code == HTTPStatus.OK
    assert list(response.json) == ["access_token"]
    assert refresh_cookie(client, app).value != first


def test_refresh_without_cookie_is_401(client):
    response = client.post("/auth/refresh")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json["status_code"] == HTTPStatus.UNAUTHORIZED


def test_refresh_with_access_token_in_header_is_401(client, app, user_headers):
    client.delete_cookie(app.config["JWT_REFRESH_COOKIE_NAME"], path="/auth")

    response = client.post("/auth/refresh", headers=user_headers)

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_logout_without_token_is_401(client):
    response = client.post("/auth/logout")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json["error"].startswith("Missing or invalid credentials")
