"""Auth use cases, tested without HTTP."""

import pytest
from flask_jwt_extended import decode_token
from sqlalchemy import select

from app.auth import account, service
from app.auth.models import AuthSession, RefreshToken
from app.errors import (
    EmailAlreadyRegistered,
    IncorrectPassword,
    InvalidCredentials,
    RefreshTokenReused,
    SessionEnded,
)
from app.extensions import db
from app.users.models import ROLE_ADMIN, ROLE_USER, Actor
from tests.helpers import PASSWORD


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
    assert service.user_of_session(access["sid"], user.id) == Actor.of(user)


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

    claims = decode_token(tokens.refresh)

    rotated = service.rotate_refresh_token(user.id, claims["sid"], claims["jti"])

    assert decode_token(rotated.refresh)["jti"] != decode_token(tokens.refresh)["jti"]
    assert decode_token(rotated.refresh)["sid"] == decode_token(tokens.refresh)["sid"]


def test_reusing_a_rotated_refresh_token_revokes_the_session(user):
    _, tokens = service.login(user.email, PASSWORD)
    claims = decode_token(tokens.refresh)
    service.rotate_refresh_token(user.id, claims["sid"], claims["jti"])

    with pytest.raises(RefreshTokenReused):
        service.rotate_refresh_token(user.id, claims["sid"], claims["jti"])
    with pytest.raises(SessionEnded):
        service.user_of_session(claims["sid"], user.id)


def test_logout_revokes_the_session(user):
    _, tokens = service.login(user.email, PASSWORD)
    session_id = decode_token(tokens.access)["sid"]

    service.logout(user.id, session_id)

    with pytest.raises(SessionEnded):
        service.user_of_session(session_id, user.id)


def test_new_password_for_admin_revokes_existing_sessions(user):
    _, tokens = service.login(user.email, PASSWORD)

    service.make_admin(user.email, user.name, "a brand new password")

    with pytest.raises(SessionEnded):
        service.user_of_session(decode_token(tokens.access)["sid"], user.id)


def test_a_session_of_another_user_names_nobody(user, make_user):
    _, tokens = service.login(user.email, PASSWORD)

    with pytest.raises(SessionEnded):
        service.user_of_session(decode_token(tokens.access)["sid"], make_user().id)


def test_an_expired_session_names_nobody(user, expired_session):
    with pytest.raises(SessionEnded):
        service.user_of_session(expired_session, user.id)


def test_a_live_session_of_an_inactive_account_names_nobody(user):
    _, tokens = service.login(user.email, PASSWORD)
    user.is_active = False
    db.session.commit()

    assert service.user_of_session(decode_token(tokens.access)["sid"], user.id) is None


def test_make_admin_creates_a_new_admin():
    user, created = service.make_admin("boss@example.com", "Boss", "long-password")

    assert created
    assert user.role.name == ROLE_ADMIN
    assert user.check_password("long-password")


def test_make_admin_promotes_an_existing_user_and_keeps_its_sessions(user):
    _, tokens = service.login(user.email, PASSWORD)

    promoted, created = service.make_admin(user.email, "Renamed", None)

    assert not created
    assert promoted.id == user.id
    assert (promoted.role.name, promoted.name) == (ROLE_ADMIN, "Renamed")
    acting = service.user_of_session(decode_token(tokens.access)["sid"], user.id)
    assert acting == Actor.of(user)
    assert acting is not None and acting.is_admin


def test_login_leaves_other_sessions_alone_even_expired_ones(user, expired_session):
    service.login(user.email, PASSWORD)

    assert db.session.get(AuthSession, expired_session) is not None


def test_purge_deletes_expired_sessions_and_their_refresh_tokens_only(user, expired_session):
    _, tokens = service.login(user.email, PASSWORD)
    live = decode_token(tokens.access)["sid"]

    assert service.purge_expired()[0] == ("expired session", 1)

    db.session.expire_all()
    assert db.session.get(AuthSession, expired_session) is None
    assert db.session.scalars(select(RefreshToken.session_id)).all() == [live]
    assert service.user_of_session(live, user.id) == Actor.of(user)
    assert service.purge_expired()[0] == ("expired session", 0)


def test_change_password_with_a_wrong_current_password_changes_nothing(user):
    with pytest.raises(IncorrectPassword):
        account.change_password(Actor.of(user), "any-session", "wrong", "a brand new passphrase")

    assert user.check_password(PASSWORD)
