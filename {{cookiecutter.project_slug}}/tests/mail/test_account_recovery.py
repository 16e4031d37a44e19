"""Password reset and e-mail verification: no enumeration, single-use hashed tokens that expire,
every session revoked on reset. Mail goes through a real SMTP server (tests/mailbox.py)."""

import hashlib
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from sqlalchemy import select

from app.core.database import utcnow
from app.extensions import db
from app.mail import account as account_service
from app.mail.errors import InvalidAccountToken
from app.mail.models import AccountToken
from tests.helpers import PASSWORD
from tests.mail.mailbox import free_port

NEW_PASSWORD = "a brand new passphrase"
INVALID_TOKEN = {"error": "Invalid or expired token", "status_code": 400}


def request_reset(client, email):
    return client.post("/auth/password-reset", json={"email": email})


def confirm_reset(client, token, password=NEW_PASSWORD):
    return client.post(
        "/auth/password-reset/confirm", json={"token": token, "new_password": password}
    )


def test_reset_answers_alike_for_known_unknown_and_inactive_addresses(client, mailbox, make_user):
    known = make_user()
    inactive = make_user(email="gone@example.com")
    inactive.is_active = False
    db.session.commit()

    answers = [
        request_reset(client, email)
        for email in (known.email, "nobody@example.com", inactive.email)
    ]

    assert {(answer.status_code, answer.get_data()) for answer in answers} == {
        (HTTPStatus.ACCEPTED, answers[0].get_data())
    }
    assert [message["To"] for message in mailbox.messages()] == [known.email]


def test_reset_link_works_once(client, mailbox, user):
    request_reset(client, user.email)
    token = mailbox.token(user.email)

    first = confirm_reset(client, token)
    second = confirm_reset(client, token, password="yet another passphrase")

    assert first.status_code == HTTPStatus.OK
    assert (second.status_code, second.json) == (HTTPStatus.BAD_REQUEST, INVALID_TOKEN)


def test_reset_link_expires(client, mailbox, user, monkeypatch):
    request_reset(client, user.email)
    token = mailbox.token(user.email)
    # One second past: MySQL stores the expiry rounded to the second.
    later = (
        utcnow() + client.application.config["PASSWORD_RESET_TOKEN_EXPIRES"] + timedelta(seconds=1)
    )
    monkeypatch.setattr(account_service, "utcnow", lambda: later)

    response = confirm_reset(client, token)

    assert (response.status_code, response.json) == (HTTPStatus.BAD_REQUEST, INVALID_TOKEN)


def test_a_new_request_invalidates_the_older_link(client, mailbox, user):
    request_reset(client, user.email)
    older = mailbox.token(user.email)
    request_reset(client, user.email)
    newer = mailbox.token(user.email)

    assert (confirm_reset(client, older).status_code, newer != older) == (
        HTTPStatus.BAD_REQUEST,
        True,
    )
    assert confirm_reset(client, newer).status_code == HTTPStatus.OK


@pytest.mark.parametrize("token", ["forged", "x" * 43, "x" * 128])
def test_forged_or_unknown_tokens_get_the_same_400(client, token):
    response = confirm_reset(client, token)

    assert (response.status_code, response.json) == (HTTPStatus.BAD_REQUEST, INVALID_TOKEN)


def test_only_the_sha256_of_the_token_is_stored(client, mailbox, user):
    request_reset(client, user.email)
    token = mailbox.token(user.email)

    stored = db.session.scalars(select(AccountToken.token_hash)).all()

    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_reset_revokes_every_session_and_the_old_password(client, mailbox, user, login):
    headers = login(user)
    request_reset(client, user.email)

    confirm_reset(client, mailbox.token(user.email))

    assert client.get("/users/me", headers=headers).status_code == HTTPStatus.UNAUTHORIZED
    old = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    new = client.post("/auth/login", json={"email": user.email, "password": NEW_PASSWORD})
    assert (old.status_code, new.status_code) == (HTTPStatus.UNAUTHORIZED, HTTPStatus.OK)


def test_password_change_revokes_every_other_session(client, user, login):
    kept, other = login(user), login(user)

    response = client.post(
        "/auth/password",
        headers=kept,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == HTTPStatus.OK
    assert client.get("/users/me", headers=other).status_code == HTTPStatus.UNAUTHORIZED
    assert client.get("/users/me", headers=kept).status_code == HTTPStatus.OK


def test_password_change_needs_the_current_password(client, user, user_headers):
    response = client.post(
        "/auth/password",
        headers=user_headers,
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
    )

    assert (response.status_code, response.json) == (
        HTTPStatus.BAD_REQUEST,
        {"error": "Current password is incorrect", "status_code": 400},
    )


def test_a_refusing_smtp_server_is_logged_and_looks_like_success(client, mailbox, user, caplog):
    mailbox.reply = "554 Transaction failed"
    known = request_reset(client, user.email)
    mailbox.messages()
    unknown = request_reset(client, "nobody@example.com")

    assert (known.status_code, known.get_data()) == (unknown.status_code, unknown.get_data())
    assert known.status_code == HTTPStatus.ACCEPTED
    failures = [record for record in caplog.records if record.name == "app.mail.service"]
    [failure] = [record.getMessage() for record in failures]
    assert re.fullmatch(r"mail \d+ \(password_reset\) not sent, attempt 1", failure)
    assert user.email not in caplog.text


def test_an_unreachable_smtp_server_is_no_500(client, mailbox, user):
    client.application.config["MAIL_PORT"] = free_port()  # released: nothing listens there

    response = request_reset(client, user.email)
    mailbox.messages()

    assert response.status_code == HTTPStatus.ACCEPTED


def test_reset_requests_are_limited_per_address(client, mailbox, user):
    limit = int(client.application.config["RATE_LIMITS"]["account_mail_address"].split()[0])
    statuses = []
    for n in range(limit + 1):
        # A new client address each time: only the per-address limit can refuse.
        response = client.post(
            "/auth/password-reset",
            json={"email": user.email.upper()},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"},
        )
        statuses.append(response.status_code)

    assert statuses == [HTTPStatus.ACCEPTED] * limit + [HTTPStatus.TOO_MANY_REQUESTS]


def test_verification_link_works_once(client, mailbox, user):
    client.post("/auth/verify-email/resend", json={"email": user.email})
    token = mailbox.token(user.email)

    first = client.post("/auth/verify-email/confirm", json={"token": token})
    second = client.post("/auth/verify-email/confirm", json={"token": token})

    assert first.status_code == HTTPStatus.OK
    assert (second.status_code, second.json) == (HTTPStatus.BAD_REQUEST, INVALID_TOKEN)


def test_verification_resend_answers_alike_for_any_address(client, mailbox, user):
    known = client.post("/auth/verify-email/resend", json={"email": user.email})
    unknown = client.post("/auth/verify-email/resend", json={"email": "nobody@example.com"})

    assert (known.status_code, known.get_data()) == (unknown.status_code, unknown.get_data())
    assert [message["To"] for message in mailbox.messages()] == [user.email]


def test_expired_verification_token_is_refused(app, mailbox, user):
    account_service.request_verification(user.email)
    token = mailbox.token(user.email)
    later = utcnow() + app.config["EMAIL_VERIFICATION_TOKEN_EXPIRES"] + timedelta(seconds=1)

    with pytest.raises(InvalidAccountToken):
        account_service.verify_email(token, now=later)
