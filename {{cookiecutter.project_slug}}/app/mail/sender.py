"""Where the outbox is delivered from: a thread in each app process, or `flask mail worker`.

MAIL_SENDER=inline (the default): every process that serves requests runs one sender thread,
started after gunicorn forks the worker (gunicorn.conf.py) or at the first request (development
server), so a single server needs nothing else. MAIL_SENDER=worker: the app processes send
nothing, and `flask mail worker` processes deliver. Any number of senders may run on one
database: each mail is claimed by one of them (app/mail/repository.py).
"""

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

import click
from flask import Flask, current_app
from sqlalchemy import event

from app.core import events
from app.environment import ConfigurationError, env, env_int
from app.extensions import db
from app.mail import service
from app.mail.cli import mail_cli

logger = logging.getLogger(__name__)


class Sender:
    """Deliver due mails, then wait MAIL_POLL_SECONDS or until this process asks for a mail."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.lock = threading.Lock()

    def run(self, app: Flask) -> None:
        """Deliver until `stop` is called (in this thread: `flask mail worker`)."""
        while not self.stopping.is_set():
            self.wake.clear()
            with app.app_context():
                try:
                    service.deliver_due(stop=self.stopping.is_set)
                    service.report_status()
                except Exception:
                    # The database may be away for a while: log, wait, try again.
                    logger.exception("mail sender pass failed")
            self.wake.wait(app.config["MAIL_POLL_SECONDS"])

    def start(self, app: Flask) -> None:
        """Run in a background thread of this process, unless one runs already."""
        with self.lock:
            if self.thread is not None and self.thread.is_alive() and self.pid == os.getpid():
                return
            # A thread does not survive a fork: a child starts its own.
            self.pid = os.getpid()
            self.stopping.clear()
            # A daemon: it never holds the process open; a mail cut off mid-send is leased and
            # sent again once the lease runs out (MAIL_LEASE_SECONDS).
            self.thread = threading.Thread(
                target=self.run, args=(app,), name="mail-sender", daemon=True
            )
            self.thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the mail in hand and stop (waiting at most `timeout` seconds for a thread)."""
        self.stopping.set()
        self.wake.set()
        thread = self.thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout)


sender = Sender()


MAIL_SENDERS = ("inline", "worker")


def read(config: Any) -> None:
    # Who delivers: a thread in each app process (inline), or only `flask mail worker`
    # processes (worker); an idle sender looks for due mail every MAIL_POLL_SECONDS.
    config.MAIL_SENDER = env("MAIL_SENDER", "inline").lower()
    config.MAIL_POLL_SECONDS = env_int("MAIL_POLL_SECONDS", 5)
    if config.TESTING:
        config.MAIL_SENDER = "worker"  # the tests deliver the outbox themselves


def validate(config: Any) -> None:
    if config.MAIL_SENDER not in MAIL_SENDERS:
        raise ConfigurationError(
            f"MAIL_SENDER must be one of {', '.join(MAIL_SENDERS)}, got {config.MAIL_SENDER!r}"
        )
    if config.MAIL_POLL_SECONDS < 1:
        raise ConfigurationError("MAIL_POLL_SECONDS must be positive")


def init_app(app: Flask) -> None:
    """Add `flask mail worker`; start this process's sender with its first request when
    MAIL_SENDER is inline."""
    mail_cli.add_command(worker)
    if app.config["MAIL_SENDER"] != "inline":
        return

    @app.before_request
    def start_sender() -> None:
        sender.start(app)


@click.command("worker")
def worker() -> None:
    """Deliver mail until stopped (SIGTERM or Ctrl-C finish the mail in hand first)."""

    def stop(signum: int, frame: FrameType | None) -> None:
        sender.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    # The app itself, not the proxy, for the sender to push its own contexts (Flask's docs,
    # "Notes On Proxies": https://flask.palletsprojects.com/en/stable/reqcontext/#notes-on-proxies).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    events.worker_started.send(app)
    click.echo(f"Delivering mail every {app.config['MAIL_POLL_SECONDS']} s; stop with SIGTERM.")
    sender.run(app)
    click.echo("Mail worker stopped.")


# SQLAlchemy's session events (https://docs.sqlalchemy.org/en/20/orm/events.html): a commit
# that asked for a mail wakes this process's sender at once instead of at its next poll.
@event.listens_for(db.session, "after_commit")
def _wake_sender(session: Any) -> None:
    if session.info.pop(service.ENQUEUED, None):
        sender.wake.set()


@event.listens_for(db.session, "after_rollback")
def _forget_request(session: Any) -> None:
    session.info.pop(service.ENQUEUED, None)
