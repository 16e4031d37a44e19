"""The account e-mails' fixtures, for the whole suite (tests/conftest.py loads this module)."""

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.mail.mailbox import Mailbox, start_server

PRODUCTION_ENV = {"MAIL_SERVER": "smtp.example.com"}


@pytest.fixture
def mailbox(app: Flask) -> Iterator[Mailbox]:
    """A real SMTP server on loopback, set as the app's MAIL_SERVER for this test."""
    inbox = Mailbox()
    server = start_server(inbox)
    saved = {name: app.config[name] for name in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER=server.hostname, MAIL_PORT=server.port)
    yield inbox
    server.stop()
    app.config.update(saved)
