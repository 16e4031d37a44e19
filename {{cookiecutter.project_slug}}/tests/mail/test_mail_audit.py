"""The account e-mails' events in the audit log, made by real requests and read back through
GET /audit-events."""

import pytest

from tests.audit.helpers import HERE, browser_client, by, the_event


@pytest.fixture
def client(app):
    return browser_client(app)


def test_a_reset_request_is_recorded_for_known_accounts_only_when_its_link_is_issued(
    client, mailbox, user, admin_headers
):
    client.post("/auth/password-reset", json={"email": user.email})
    client.post("/auth/password-reset", json={"email": "nobody@example.com"})
    mailbox.messages()  # the outbox delivers: the sender issues the link and records the event

    # The sender acts outside any request: the event names no client.
    assert the_event(client, admin_headers, "account.password_reset_requested") == {
        "action": "account.password_reset_requested",
        **by(None, user.id),
        **dict.fromkeys(HERE, None),
    }


def test_a_completed_reset_is_recorded(client, mailbox, user, admin_headers):
    client.post("/auth/password-reset", json={"email": user.email})
    body = {"token": mailbox.token(user.email), "new_password": "a brand new passphrase"}
    client.post("/auth/password-reset/confirm", json=body)

    assert the_event(client, admin_headers, "account.password_reset_completed") == {
        "action": "account.password_reset_completed",
        **by(user.id, user.id),
        **HERE,
    }


def test_a_verified_address_is_recorded(client, mailbox, user, admin_headers):
    client.post("/auth/verify-email/resend", json={"email": user.email})
    client.post("/auth/verify-email/confirm", json={"token": mailbox.token(user.email)})

    assert the_event(client, admin_headers, "account.email_verified") == {
        "action": "account.email_verified",
        **by(user.id, user.id),
        **HERE,
    }
