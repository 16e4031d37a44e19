"""Auth use cases, tested without HTTP."""

import pytest
from flask_jwt_extended import decode_token

from app.database.schema import ROLE_USER
from app.errors.domain import EmailAlreadyRegistered, InvalidCredentials, RefreshTokenReused
from app.modules.auth import repository, service
from app.modules.users import service as user_service
from tests.conftest import PASSWORD


def test_register_user_makes_a_plain_user():
    user = service.register_user("new@example.com", "New", "password123", 25)

    assert user.id is not None
    assert (user.email, user.role.name) == ("new@example.com", ROLE_USER)


def test_register_duplicate_email_raises_error():
    service.register_user("test@example.com", "User 1", "password123")

    with pytest.raises(EmailAlreadyRegistered):
        service.register_user("test@example.com", "User 2", "password456")


def test_login_issues_tokens_bound_to_one_live_session(user):
    logged_in, tokens = service.login(user.email, PASSWORD)

    access, refresh = decode_token(tokens.access), decode_token(tokens.refresh)
    assert logged_in.id == user.id
    assert (access["type"], refresh["type"]) == ("access", "refresh")
    assert access["sub"] == refresh["sub"] == str(user.id)
    assert access["sid"] == refresh["sid"]
    principal = repository.user_of_live_session(access["sid"], user.id)
    assert (principal.id, principal.email, principal.role) == (user.id, user.email, "user")
    assert principal.is_active and not principal.is_admin


def test_login_with_wrong_password_is_refused(user):
    with pytest.raises(InvalidCredentials):
        service.login(user.email, "not the password")


def test_login_with_unknown_email_is_refused_the_same_way():
    with pytest.raises(InvalidCredentials):
        service.login("nobody@example.com", PASSWORD)


def test_login_of_account_without_password_is_refused(make_user):
    user = make_user(password=None)

    with pytest.raises(InvalidCredentials):
        service.login(user.email, "")


def test_login_of_deactivated_account_is_refused(user):
    user.is_active = False

    with pytest.raises(InvalidCredentials):
        service.login(user.email, PASSWORD)


def test_rotation_issues_a_new_refresh_token(user):
    _, tokens = service.login(user.email, PASSWORD)

    rotated = service.rotate_refresh_token(decode_token(tokens.refresh))

    assert decode_token(rotated.refresh)["jti"] != decode_token(tokens.refresh)["jti"]
    assert decode_token(rotated.refresh)["sid"] == decode_token(tokens.refresh)["sid"]


def test_reusing_a_rotated_refresh_token_revokes_the_session(user):
    _, tokens = service.login(user.email, PASSWORD)
    claims = decode_token(tokens.refresh)
    service.rotate_refresh_token(claims)

    with pytest.raises(RefreshTokenReused):
        service.rotate_refresh_token(claims)
    assert repository.user_of_live_session(claims["sid"], user.id) is None


def test_logout_revokes_the_session(user):
    _, tokens = service.login(user.email, PASSWORD)
    session_id = decode_token(tokens.access)["sid"]

    service.logout(session_id)

    assert repository.user_of_live_session(session_id, user.id) is None


def test_new_password_for_admin_revokes_existing_sessions(user):
    _, tokens = service.login(user.email, PASSWORD)

    user_service.make_admin(user.email, user.name, "a brand new password")

    assert repository.user_of_live_session(decode_token(tokens.access)["sid"], user.id) is None
