"""Two-factor sign-in under attack, by real requests: replayed, wrong and late codes, spent
challenges and recovery codes, guessing, the secret at rest, and sessions that must end."""

from http import HTTPStatus

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from app.auth.models import AuthSession
from app.extensions import db
from app.twofactor import crypto
from tests.helpers import PASSWORD
from tests.twofactor.helpers import enrol

REFUSED = {"error": "Invalid or expired challenge, or incorrect code", "status_code": 401}
# Shaped as a recovery code, and none of the user's: wrong, whatever the clock says.
WRONG_CODE = "ffff-ffff-ffff-ffff"


def challenge_of(client, user, ip="198.51.100.7"):
    response = client.post(
        "/auth/login",
        json={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": ip},
    )
    assert response.status_code == HTTPStatus.OK, response.json
    return response.json["challenge"]


def second_step(client, challenge, code, ip="198.51.100.7"):
    return client.post(
        "/auth/login/2fa",
        json={"challenge": challenge, "code": code},
        environ_base={"REMOTE_ADDR": ip},
    )


def live_sessions(user_id):
    query = select(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    return db.session.scalars(query).all()


def test_a_code_is_accepted_once(client, enrolled):
    code = enrolled.code()
    assert second_step(client, challenge_of(client, enrolled.user), code).status_code == 200

    replayed = second_step(client, challenge_of(client, enrolled.user), code)

    assert (replayed.status_code, replayed.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


def test_an_earlier_code_is_spent_once_a_later_one_is_used(client, enrolled):
    earlier, later = enrolled.code(-1), enrolled.code()
    assert second_step(client, challenge_of(client, enrolled.user), later).status_code == 200

    response = second_step(client, challenge_of(client, enrolled.user), earlier)

    assert (response.status_code, response.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


@pytest.mark.parametrize(("steps", "status"), [(-2, 401), (-1, 200), (1, 200), (2, 401)])
def test_codes_one_step_either_side_are_accepted(client, enrolled, steps, status):
    enrolled.clock.advance(minutes=5)  # well past the step spent turning two-factor on
    response = second_step(client, challenge_of(client, enrolled.user), enrolled.code(steps))

    assert response.status_code == status


def test_a_wrong_code_and_an_unknown_challenge_get_the_same_answer(client, enrolled):
    wrong_code = second_step(client, challenge_of(client, enrolled.user), WRONG_CODE)
    unknown = second_step(client, "not-a-challenge", enrolled.code())

    assert (wrong_code.status_code, wrong_code.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)
    assert (unknown.status_code, unknown.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


def test_an_expired_challenge_is_refused(client, app, enrolled):
    challenge = challenge_of(client, enrolled.user)
    enrolled.clock.advance(seconds=app.config["TWO_FACTOR_CHALLENGE_EXPIRES"].total_seconds())

    response = second_step(client, challenge, enrolled.code())

    assert (response.status_code, response.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


def test_a_challenge_works_once(client, enrolled):
    challenge = challenge_of(client, enrolled.user)
    assert second_step(client, challenge, enrolled.code()).status_code == HTTPStatus.OK

    reused = second_step(client, challenge, enrolled.code(1))

    assert (reused.status_code, reused.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


def test_a_new_login_replaces_the_previous_challenge(client, enrolled):
    first = challenge_of(client, enrolled.user)
    challenge_of(client, enrolled.user)

    response = second_step(client, first, enrolled.code())

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_recovery_code_works_once(client, enrolled):
    code = enrolled.recovery_codes[0]
    assert second_step(client, challenge_of(client, enrolled.user), code).status_code == 200

    again = second_step(client, challenge_of(client, enrolled.user), code)

    assert (again.status_code, again.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


def test_a_recovery_code_may_be_typed_in_capitals_without_dashes(client, enrolled):
    code = enrolled.recovery_codes[0].replace("-", "").upper()

    response = second_step(client, challenge_of(client, enrolled.user), code)

    assert response.status_code == HTTPStatus.OK


def test_guessing_codes_is_limited_per_challenge(client, enrolled):
    challenge = challenge_of(client, enrolled.user)
    for n in range(5):
        assert second_step(client, challenge, WRONG_CODE, ip=f"203.0.113.{n}").status_code == 401

    blocked = second_step(client, challenge, enrolled.code(), ip="203.0.113.99")

    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert blocked.json["status_code"] == HTTPStatus.TOO_MANY_REQUESTS


def test_guessing_codes_is_limited_per_client_across_challenges(client, enrolled):
    for n in range(10):
        challenge = challenge_of(client, enrolled.user, ip=f"203.0.113.{n}")
        assert second_step(client, challenge, WRONG_CODE).status_code == 401
    challenge = challenge_of(client, enrolled.user, ip="203.0.113.99")

    blocked = second_step(client, challenge, enrolled.code())

    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_the_secret_is_stored_encrypted(enrolled):
    stored = db.session.execute(
        text("SELECT secret FROM totp_credentials WHERE user_id = :id"), {"id": enrolled.user.id}
    ).scalar_one()

    assert enrolled.totp.secret not in stored
    assert crypto.decrypt(stored) == enrolled.totp.secret


def test_recovery_codes_are_stored_hashed(enrolled):
    stored = db.session.execute(text("SELECT code_hash FROM recovery_codes")).scalars().all()

    assert len(stored) == 10
    assert not {code.replace("-", "") for code in enrolled.recovery_codes} & set(stored)


def test_a_rotated_key_still_decrypts_and_rotation_moves_secrets_to_the_new_key(app, enrolled):
    old_keys = app.config["TOTP_ENCRYPTION_KEYS"]
    new_key = Fernet.generate_key().decode()
    app.config["TOTP_ENCRYPTION_KEYS"] = [new_key, *old_keys]
    try:
        result = app.test_cli_runner().invoke(args=["two-factor", "rotate-key"])
        app.config["TOTP_ENCRYPTION_KEYS"] = [new_key]
        stored = db.session.execute(text("SELECT secret FROM totp_credentials")).scalar_one()
        assert crypto.decrypt(stored) == enrolled.totp.secret
    finally:
        app.config["TOTP_ENCRYPTION_KEYS"] = old_keys
    assert result.exit_code == 0, result.output
    assert "1 two-factor secret" in result.output


def test_turning_two_factor_off_ends_every_session(client, login, user, enrolled):
    challenge = challenge_of(client, user)
    token = second_step(client, challenge, enrolled.code()).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"password": PASSWORD, "code": enrolled.recovery_codes[0]}

    response = client.post("/auth/2fa/disable", json=body, headers=headers)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert live_sessions(user.id) == []
    assert client.get("/users/me", headers=headers).status_code == HTTPStatus.UNAUTHORIZED


def test_an_admin_reset_ends_every_session(client, user, enrolled, admin_headers):
    challenge = challenge_of(client, user)
    assert second_step(client, challenge, enrolled.code()).status_code == HTTPStatus.OK

    response = client.delete(f"/auth/2fa/users/{user.id}", headers=admin_headers)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert live_sessions(user.id) == []
    login = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert "access_token" in login.json


def test_a_wrong_password_or_code_gets_one_answer_when_turning_off(client, enrolled, login):
    challenge = challenge_of(client, enrolled.user)
    token = second_step(client, challenge, enrolled.code()).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    answers = [
        client.post("/auth/2fa/disable", json=body, headers=headers).json
        for body in (
            {"password": "wrong password", "code": enrolled.code(1)},
            {"password": PASSWORD, "code": WRONG_CODE},
        )
    ]

    assert answers == [{"error": "Password or code is incorrect", "status_code": 400}] * 2


def test_a_deactivated_account_cannot_finish_its_login(client, enrolled, admin_headers):
    challenge = challenge_of(client, enrolled.user)
    client.patch(f"/users/{enrolled.user.id}", json={"is_active": False}, headers=admin_headers)

    response = second_step(client, challenge, enrolled.code())

    assert (response.status_code, response.json) == (HTTPStatus.UNAUTHORIZED, REFUSED)


@pytest.fixture
def two_factor_for_admins(app):
    app.config["REQUIRE_2FA_FOR_ADMINS"] = True
    yield
    app.config["REQUIRE_2FA_FOR_ADMINS"] = False


def test_admins_without_two_factor_are_told_to_enrol(client, admin_headers, two_factor_for_admins):
    response = client.get("/users", headers=admin_headers)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json == {
        "error": "Admins must turn on two-factor sign-in to use admin routes: "
        "POST /auth/2fa/setup, then POST /auth/2fa/enable",
        "status_code": 403,
    }


def test_admins_with_two_factor_pass(client, admin, clock, two_factor_for_admins):
    enrolled = enrol(admin, clock)
    challenge = challenge_of(client, admin)
    token = second_step(client, challenge, enrolled.code()).json["access_token"]

    response = client.get("/users", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == HTTPStatus.OK
