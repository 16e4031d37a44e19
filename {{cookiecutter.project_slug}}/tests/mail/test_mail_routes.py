"""POST /auth/password-reset and /auth/verify-email: links by mail, and the login of an
unverified account."""

from http import HTTPStatus

import pytest

from tests.helpers import PASSWORD


def test_reset_mail_has_a_frontend_link_in_text_and_html(client, mailbox, user):
    response = client.post("/auth/password-reset", json={"email": user.email})

    [message] = mailbox.messages()
    token = mailbox.token(user.email)
    link = f"{client.application.config['FRONTEND_URL']}/reset-password?token={token}"
    assert response.status_code == HTTPStatus.ACCEPTED
    assert (message["From"], message["Subject"]) == (
        client.application.config["MAIL_DEFAULT_SENDER"],
        "Reset your password",
    )
    assert link in message.get_body(preferencelist=("plain",)).get_content()
    assert f'href="{link}"' in message.get_body(preferencelist=("html",)).get_content()


def test_reset_confirm_sets_the_password(client, mailbox, user):
    client.post("/auth/password-reset", json={"email": user.email})

    response = client.post(
        "/auth/password-reset/confirm",
        json={"token": mailbox.token(user.email), "new_password": "a brand new passphrase"},
    )

    assert (response.status_code, response.json) == (
        HTTPStatus.OK,
        {"message": "Password reset; log in with the new password"},
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token": "t"}, "new_password"),
        ({"token": "t", "new_password": "short"}, "new_password"),
        ({"token": "", "new_password": "long enough"}, "token"),
        ({"new_password": "long enough"}, "token"),
    ],
)
def test_invalid_reset_confirmations_are_400(client, body, field):
    response = client.post("/auth/password-reset/confirm", json=body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json["details"]) == [field]


def test_reset_is_a_404_when_turned_off(client, app, user):
    app.config["PASSWORD_RESET_ENABLED"] = False
    try:
        response = client.post("/auth/password-reset", json={"email": user.email})
    finally:
        app.config["PASSWORD_RESET_ENABLED"] = True

    assert (response.status_code, response.json) == (
        HTTPStatus.NOT_FOUND,
        {"error": "Not Found", "status_code": 404},
    )


@pytest.fixture
def verification_required(app):
    app.config["REQUIRE_EMAIL_VERIFICATION"] = True
    yield
    app.config["REQUIRE_EMAIL_VERIFICATION"] = False


def test_unverified_login_is_403_when_verification_is_required(client, user, verification_required):
    response = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})

    assert (response.status_code, response.json) == (
        HTTPStatus.FORBIDDEN,
        {
            "error": "Email address not verified: follow the link in the verification email",
            "status_code": 403,
        },
    )


def test_a_wrong_password_of_an_unverified_account_is_still_401(
    client, user, verification_required
):
    response = client.post("/auth/login", json={"email": user.email, "password": "wrong one"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_registration_mails_a_link_that_unlocks_login(client, mailbox, verification_required):
    client.post(
        "/auth/register",
        json={"email": "new@example.com", "name": "New", "password": PASSWORD},
    )

    confirmed = client.post(
        "/auth/verify-email/confirm", json={"token": mailbox.token("new@example.com")}
    )
    login = client.post("/auth/login", json={"email": "new@example.com", "password": PASSWORD})

    assert (confirmed.status_code, login.status_code) == (HTTPStatus.OK, HTTPStatus.OK)


def test_verified_accounts_get_no_new_link(client, mailbox, user):
    client.post("/auth/verify-email/resend", json={"email": user.email})
    client.post("/auth/verify-email/confirm", json={"token": mailbox.token(user.email)})

    client.post("/auth/verify-email/resend", json={"email": user.email})

    assert len(mailbox.messages()) == 1
