"""gunicorn's part of the mail: with MAIL_SENDER=inline each worker delivers the outbox from a
thread of its own, started after the fork (README "E-mail")."""

from typing import Any


def post_worker_init(config: Any, worker: Any, app: Any) -> None:
    if config.MAIL_SENDER == "inline":
        from app.mail.sender import sender

        sender.start(app)


def worker_exit(config: Any, server: Any, worker: Any) -> None:
    # Let the sender finish the mail in hand before the worker goes.
    if config.MAIL_SENDER == "inline":
        from app.mail.sender import sender

        sender.stop(timeout=config.MAIL_TIMEOUT)
