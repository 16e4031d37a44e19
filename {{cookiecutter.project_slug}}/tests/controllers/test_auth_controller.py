"""Auth controllers: validation, serialisation and cookies, without routing or rate limits."""

from http import HTTPStatus

import pytest
from marshmallow import ValidationError

from app.modules.auth import controller
from app.modules.users import repository
from tests.conftest import PASSWORD


def test_register_returns_message_and_id(app):
    body = {"email": "Mixed@Example.COM", "name": "Ann", "password": "password123", "age": 3}
    with app.test_request_context(json=body):
        response, status = controller.register()

    stored = repository.get_by_email("mixed@example.com")
    assert status == HTTPStatus.CREATED
    assert response.json == {"message": "User registered successfully", "user_id": stored.id}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "password": "password123"}, "email"),
        ({"email": "not-an-email", "name": "A", "password": "password123"}, "email"),
        ({"email": "a@example.com", "password": "password123"}, "name"),
        ({"email": "a@example.com", "name": "", "password": "password123"}, "name"),
        ({"email": "a@example.com", "name": "<b></b>", "password": "password123"}, "name"),
        ({"email": "a@example.com", "name": "x" * 101, "password": "password123"}, "name"),
        ({"email": "a@example.com", "name": "A", "password": "short"}, "password"),
        ({"email": "a@example.com", "name": "A", "password": "p" * 1025}, "password"),
        ({"email": "a@example.com", "name": "A", "password": "password123", "age": "9"}, "age"),
        ({"email": "a@example.com", "name": "A", "password": "password123", "age": -1}, "age"),
        (
            {"email": "a@example.com", "name": "A", "password": "password123", "role": "admin"},
            "role",
        ),
        ({"email": "a@example.com", "name": "A", "password": "password123", "id": 7}, "id"),
        ({"email": "a@example.com", "name": "A\x00", "password": "password123"}, "name"),
    ],
)
def test_register_rejects_invalid_field(app, body, field):
    with app.test_request_context(json=body), pytest.raises(ValidationError) as excinfo:
        controller.register()

    assert field in excinfo.value.messages


def test_login_sets_refresh_cookie_scoped_to_auth(app, user):
    with app.test_request_context(json={"email": user.email, "password": PASSWORD}):
        response = controller.login()

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{app.config['JWT_REFRESH_COOKIE_NAME']}=")
    assert "HttpOnly" in cookie
    assert "Path=/auth" in cookie
    assert "SameSite=Strict" in cookie
    assert f"Max-Age={30 * 24 * 3600}" in cookie
    assert response.json["user"] == {"id": user.id, "email": user.email, "name": user.name}


def test_login_hands_out_csrf_value_when_csrf_protection_is_on(app, user, csrf_on):
    with app.test_request_context(json={"email": user.email, "password": PASSWORD}):
        response = controller.login()

    csrf = response.headers[controller.CSRF_HEADER]
    cookies = response.headers.getlist("Set-Cookie")
    csrf_cookie = next(c for c in cookies if c.startswith("csrf_refresh_token="))
    assert csrf_cookie.startswith(f"csrf_refresh_token={csrf};")
    assert "HttpOnly" not in csrf_cookie
