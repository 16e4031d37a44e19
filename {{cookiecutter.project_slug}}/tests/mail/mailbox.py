"""A real SMTP server in the test process (aiosmtpd), and what it received."""

import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.mail import service as outbox
from app.mail.models import OutboxMail
from tests.processes import free_port


class Mailbox:
    """Accepts every message (or refuses each with `reply`), and keeps the accepted ones."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.reply = "250 Message accepted for delivery"
        self.host, self.port = "127.0.0.1", 0
        # Seconds each message takes to be accepted, to keep concurrent senders busy.
        self.delay = 0.0

    # aiosmtpd's documented handler hook (https://aiosmtpd.aio-libs.org/en/latest/handlers.html).
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.delay)
        if self.reply.startswith("250"):
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.received.append(message)  # type: ignore[arg-type]
        return self.reply

    def messages(self) -> list[EmailMessage]:
        """Every message accepted so far, once the outbox has delivered what is due."""
        outbox.deliver_due()
        return list(self.received)

    def token(self, to: str) -> str:
        """The token in the link of the last message sent to `to`."""
        mine = [message for message in self.messages() if message["To"] == to]
        assert mine, f"no mail to {to}"
        text = mine[-1].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        link = next(word for word in text.split() if word.startswith("http"))
        return parse_qs(urlsplit(link).query)["token"][0]


def start_server(mailbox: Mailbox, port: int = 0) -> Controller:
    """Serve `mailbox` on `port` (default: a free one)."""
    mailbox.port = port or free_port()
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    return controller


def outbox_rows() -> list[OutboxMail]:
    """The outbox as the database holds it now, oldest first."""
    # A new transaction each time: MySQL's repeatable read would show the first snapshot.
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
