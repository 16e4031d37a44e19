"""Account use cases against the services, with the clock passed in."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth import service as auth_service
from app.core.database import utcnow
from app.extensions import db
from app.mail import account as service
from app.mail import service as outbox
from app.mail.errors import InvalidAccountToken
from app.mail.models import AccountToken, OutboxMail


def whole_second_now():
    """Now, as every database stores it (MySQL's DATETIME keeps no fractions)."""
    return utcnow().replace(microsecond=0)


def request_reset_delivered_at(email, moment):
    """Ask for a reset mail, and let the outbox deliver it (issuing its token) at `moment`."""
    service.request_password_reset(email)
    outbox.deliver_due(now=lambda: moment)


def test_a_reset_token_works_until_just_before_its_expiry(app, mailbox, user):
    issued = whole_second_now()
    request_reset_delivered_at(user.email, issued)
    token = mailbox.token(user.email)
    lifetime = app.config["PASSWORD_RESET_TOKEN_EXPIRES"]

    service.reset_password(
        token, "a brand new passphrase", now=issued + lifetime - timedelta(seconds=1)
    )

    assert user.check_password("a brand new passphrase")


def test_a_reset_token_is_dead_at_its_expiry(app, mailbox, user):
    issued = whole_second_now()
    request_reset_delivered_at(user.email, issued)
    token = mailbox.token(user.email)

    with pytest.raises(InvalidAccountToken):
        service.reset_password(
            token, "a brand new passphrase", now=issued + app.config["PASSWORD_RESET_TOKEN_EXPIRES"]
        )


def test_the_reset_lifetime_comes_from_the_config(app, mailbox, user):
    app.config["PASSWORD_RESET_TOKEN_EXPIRES"] = timedelta(minutes=5)
    try:
        issued = whole_second_now()
        request_reset_delivered_at(user.email, issued)
    finally:
        app.config["PASSWORD_RESET_TOKEN_EXPIRES"] = timedelta(minutes=30)

    assert db.session.scalar(select(AccountToken.expires_at)) == issued + timedelta(minutes=5)


def test_an_unknown_address_gets_no_mail_and_leaves_no_trace(mailbox):
    service.request_password_reset("nobody@example.com")

    assert mailbox.messages() == []
    assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_a_reset_verifies_the_address(mailbox, user):
    service.request_password_reset(user.email)

    service.reset_password(mailbox.token(user.email), "a brand new passphrase")

    assert service.is_verified(user.id)


def test_purge_deletes_only_expired_tokens(mailbox, make_user):
    now = utcnow()
    request_reset_delivered_at(make_user().email, now - timedelta(days=1))
    request_reset_delivered_at(make_user().email, now)

    assert dict(auth_service.purge_expired()) == {"expired session": 0, "expired e-mail link": 1}
    assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 1
