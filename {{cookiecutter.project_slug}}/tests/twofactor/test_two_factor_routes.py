"""/auth/2fa and /auth/login/2fa over HTTP: each endpoint's answer, and one per failure."""

import re
from http import HTTPStatus

import pyotp

from tests.helpers import PASSWORD, refresh_cookie

RECOVERY_CODE = re.compile(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}")


def test_setup_gives_a_secret_its_uri_and_a_qr_code(client, app, user, user_headers):
    response = client.post("/auth/2fa/setup", json={"password": PASSWORD}, headers=user_headers)

    assert response.status_code == HTTPStatus.OK
    body = response.json
    assert set(body) == {"secret", "otpauth_uri", "qr_svg"}
    assert pyotp.parse_uri(body["otpauth_uri"]).secret == body["secret"]
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert app.config["API_TITLE"].replace(" ", "%20") in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")
    assert response.headers["Cache-Control"] == "no-store"


def test_setup_with_a_wrong_password_is_400(client, user_headers):
    response = client.post("/auth/2fa/setup", json={"password": "nope"}, headers=user_headers)

    assert response.json == {"error": "Current password is incorrect", "status_code": 400}


def test_enable_with_a_current_code_gives_ten_recovery_codes(client, user_headers, clock):
    setup = client.post("/auth/2fa/setup", json={"password": PASSWORD}, headers=user_headers)
    code = pyotp.TOTP(setup.json["secret"]).at(clock.now)

    response = client.post("/auth/2fa/enable", json={"code": code}, headers=user_headers)

    assert response.status_code == HTTPStatus.OK
    codes = response.json["recovery_codes"]
    assert len(set(codes)) == 10
    assert all(RECOVERY_CODE.fullmatch(code) for code in codes)
    status = client.get("/auth/2fa", headers=user_headers).json
    assert status == {"enabled": True, "recovery_codes_left": 10}


def test_enable_with_a_wrong_code_is_400_and_leaves_it_off(client, user_headers, clock):
    client.post("/auth/2fa/setup", json={"password": PASSWORD}, headers=user_headers)

    response = client.post("/auth/2fa/enable", json={"code": "000000"}, headers=user_headers)

    assert response.json == {"error": "Code is incorrect or already used", "status_code": 400}
    status = client.get("/auth/2fa", headers=user_headers).json
    assert status == {"enabled": False, "recovery_codes_left": 0}


def test_enable_without_setup_is_409(client, user_headers):
    response = client.post("/auth/2fa/enable", json={"code": "123456"}, headers=user_headers)

    assert response.status_code == HTTPStatus.CONFLICT


def test_setup_while_on_is_409(client, enrolled, login):
    headers = login_with_code(client, enrolled)

    response = client.post("/auth/2fa/setup", json={"password": PASSWORD}, headers=headers)

    assert response.status_code == HTTPStatus.CONFLICT


def test_login_with_two_factor_gives_a_challenge_and_no_token(client, app, enrolled):
    response = client.post("/auth/login", json={"email": enrolled.user.email, "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK
    assert set(response.json) == {"two_factor_required", "challenge", "expires_in"}
    assert response.json["two_factor_required"] is True
    assert response.json["expires_in"] == 300
    assert refresh_cookie(client, app) is None


def test_the_second_step_gives_the_tokens_and_the_cookie(client, app, enrolled):
    login = client.post("/auth/login", json={"email": enrolled.user.email, "password": PASSWORD})
    body = {"challenge": login.json["challenge"], "code": enrolled.code()}

    response = client.post("/auth/login/2fa", json=body)

    assert response.status_code == HTTPStatus.OK
    assert set(response.json) == {"access_token", "user"}
    assert response.json["user"]["id"] == enrolled.user.id
    assert refresh_cookie(client, app) is not None
    me = client.get(
        "/users/me", headers={"Authorization": f"Bearer {response.json['access_token']}"}
    )
    assert me.status_code == HTTPStatus.OK


def test_new_recovery_codes_replace_the_old_ones(client, enrolled):
    headers = login_with_code(client, enrolled)
    body = {"password": PASSWORD, "code": enrolled.recovery_codes[0]}

    response = client.post("/auth/2fa/recovery-codes", json=body, headers=headers)

    assert response.status_code == HTTPStatus.OK
    assert not set(response.json["recovery_codes"]) & set(enrolled.recovery_codes)
    old = {"password": PASSWORD, "code": enrolled.recovery_codes[1]}
    refused = client.post("/auth/2fa/disable", json=old, headers=headers)
    assert refused.status_code == HTTPStatus.BAD_REQUEST


def test_disable_turns_it_off(client, enrolled):
    headers = login_with_code(client, enrolled)
    body = {"password": PASSWORD, "code": enrolled.code(1)}

    response = client.post("/auth/2fa/disable", json=body, headers=headers)

    assert response.status_code == HTTPStatus.NO_CONTENT
    login = client.post("/auth/login", json={"email": enrolled.user.email, "password": PASSWORD})
    assert "access_token" in login.json


def test_disable_while_off_is_409(client, user_headers):
    body = {"password": PASSWORD, "code": "123456"}

    response = client.post("/auth/2fa/disable", json=body, headers=user_headers)

    assert response.status_code == HTTPStatus.CONFLICT


def test_only_admins_reset_two_factor(client, enrolled, make_user, login):
    other = make_user()

    response = client.delete(f"/auth/2fa/users/{enrolled.user.id}", headers=login(other))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_reset_of_an_account_without_two_factor_is_409(client, user, admin_headers):
    response = client.delete(f"/auth/2fa/users/{user.id}", headers=admin_headers)

    assert response.status_code == HTTPStatus.CONFLICT


def login_with_code(client, enrolled):
    """Log the enrolled user in with both steps; its Authorization header."""
    login = client.post("/auth/login", json={"email": enrolled.user.email, "password": PASSWORD})
    body = {"challenge": login.json["challenge"], "code": enrolled.code()}
    token = client.post("/auth/login/2fa", json=body).json["access_token"]
    return {"Authorization": f"Bearer {token}"}
