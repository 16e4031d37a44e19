"""`flask mail worker|status|retry|purge`: run a sender apart, watch the outbox, retry, clean up."""

import signal
from datetime import timedelta
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from app.core import events
from app.mail import service
from app.mail.sender import sender

mail_cli = AppGroup("mail", help='Deliver and watch the outgoing mail (README "E-mail").')


@mail_cli.command("worker")
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


@mail_cli.command("status")
def show_status() -> None:
    """Show how many mails are pending and failed, and the oldest pending one's age."""
    current = service.status()
    age = current.oldest_pending_age
    click.echo(f"pending: {current.pending}")
    click.echo(f"failed: {current.failed}")
    click.echo(f"oldest pending: {f'{int(age.total_seconds())} s' if age is not None else '-'}")


@mail_cli.command("retry")
def retry() -> None:
    """Queue every failed mail again, with a new set of attempts."""
    count = service.retry_failed()
    click.echo(f"Queued {count} failed mail{'' if count == 1 else 's'} again.")


@mail_cli.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Delete mails sent more than this many days ago.",
)
def purge(days: int) -> None:
    """Delete the record of mails sent more than DAYS days ago."""
    count = service.purge_sent(timedelta(days=days))
    click.echo(f"Purged {count} sent mail{'' if count == 1 else 's'}.")
