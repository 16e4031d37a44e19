"""SMTP with the standard library: build a message, hand it to the server named by the config.

Without MAIL_SERVER (development) a mail is written to the log instead, link included.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send, read from the config."""

    server: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool
    timeout: int
    sender: str

    @classmethod
    def from_config(cls, config: Any) -> "SmtpSettings":
        return cls(
            server=config["MAIL_SERVER"],
            port=config["MAIL_PORT"],
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            use_tls=config["MAIL_USE_TLS"],
            use_ssl=config["MAIL_USE_SSL"],
            timeout=config["MAIL_TIMEOUT"],
            sender=config["MAIL_DEFAULT_SENDER"],
        )


def compose(to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A message with a plain-text body and an HTML alternative; `send` sets its From."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send `message` now, or log it when no MAIL_SERVER is set.

    Raises smtplib.SMTPException or OSError when the server cannot be reached or refuses.
    """
    if "From" not in message:
        message["From"] = settings.sender
    if not settings.server:
        logger.warning(
            "MAIL NOT SENT (no MAIL_SERVER; development only) to=%s subject=%r\n%s",
            message["To"],
            message["Subject"],
            message.get_body(preferencelist=("plain",)).get_content(),  # type: ignore[union-attr]
        )
        return
    if settings.use_ssl:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.server, settings.port, timeout=settings.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.use_tls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)
