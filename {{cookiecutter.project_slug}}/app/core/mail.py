"""Outgoing e-mail over SMTP with the standard library, sent from one background thread.

The request that asks for a mail only queues it: an account that exists then answers as fast
as one that does not (no SMTP round trip inside the request), and a failing server never turns
the request into an error. Without MAIL_SERVER (development) each mail is written to the log.
"""

import logging
import smtplib
import ssl
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import current_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    """What the sending thread needs, read from the config while the app context is there."""

    server: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool
    timeout: int

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
        )


def compose(to: str, subject: str, text: str, html: str) -> EmailMessage:
    """A message with a plain-text body and an HTML alternative, from MAIL_DEFAULT_SENDER."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class Mailer:
    """Queue mails for one worker thread per process; `wait` blocks until the queue is empty.

    The thread starts with the first mail, so each gunicorn worker gets its own after the fork.
    Its thread is not a daemon: at exit the interpreter lets it finish the mails still queued.
    """

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail")

    def send(self, message: EmailMessage) -> None:
        """Queue `message` for SMTP, or log it when no MAIL_SERVER is set."""
        settings = SmtpSettings.from_config(current_app.config)
        if not settings.server:
            logger.warning(
                "MAIL NOT SENT (no MAIL_SERVER; development only) to=%s subject=%r\n%s",
                message["To"],
                message["Subject"],
                message.get_body(preferencelist=("plain",)).get_content(),  # type: ignore[union-attr]
            )
            return
        self.executor.submit(deliver, settings, message)

    def wait(self, timeout: float | None = None) -> None:
        """Return once every mail queued before this call was delivered or given up on."""
        # One worker takes the queue in order: when this no-op has run, so has all before it.
        done: Future[None] = self.executor.submit(lambda: None)
        done.result(timeout=timeout)


def deliver(settings: SmtpSettings, message: EmailMessage) -> bool:
    """Send `message` now; log and swallow SMTP and network failures. True if sent."""
    try:
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
    except (smtplib.SMTPException, OSError) as exc:
        # The address stays out of the log line: the subject says which kind of mail it was.
        logger.error(
            "mail not sent: %r via %s:%s failed: %s: %s",
            message["Subject"],
            settings.server,
            settings.port,
            exc.__class__.__name__,
            exc,
        )
        return False
    return True


mailer = Mailer()
