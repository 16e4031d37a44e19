"""The mail sender of the app's own: a thread of each app process (MAIL_SENDER=inline) or
`flask mail worker` (tests/mail/test_mail_sender_faults.py runs it in real processes)."""

import time
from http import HTTPStatus

import pytest

from app import create_app
from app.environment import ConfigurationError
from app.mail.sender import sender


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"MAIL_SENDER": "cron"}, "MAIL_SENDER must be one of inline, worker, got 'cron'"),
        ({"MAIL_POLL_SECONDS": "0"}, "MAIL_POLL_SECONDS must be positive"),
    ],
)
def test_bad_sender_settings_stop_the_start(monkeypatch, variables, message):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=message):
        create_app("development")


def test_the_inline_sender_delivers_from_a_thread_of_the_app(make_app, mailbox, user):
    app = make_app(MAIL_SENDER="inline", MAIL_SERVER=mailbox.host, MAIL_PORT=mailbox.port)
    try:
        response = app.test_client().post("/auth/password-reset", json={"email": user.email})
        deadline = time.monotonic() + 10
        while not mailbox.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sender.stop(timeout=10)

    assert response.status_code == HTTPStatus.ACCEPTED
    assert [message["To"] for message in mailbox.received] == [user.email]
