"""`flask mail status|retry|purge`: watch the outbox, retry what failed, clean up (the
deliverer may add its own commands)."""

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.mail import service

mail_cli = AppGroup("mail", help='Deliver and watch the outgoing mail (README "E-mail").')


@mail_cli.command("status")
def show_status() -> None:
    """Show how many mails are pending and failed, the oldest pending one's age, and the last
    failures with the server's answer."""
    current = service.status()
    age = current.oldest_pending_age
    click.echo(f"pending: {current.pending}")
    click.echo(f"failed: {current.failed}")
    click.echo(f"oldest pending: {f'{int(age.total_seconds())} s' if age is not None else '-'}")
    for mail in service.failures():
        tries = f"{mail.attempts} attempt{'' if mail.attempts == 1 else 's'}"
        click.echo(f"failed mail {mail.id} ({mail.kind}, {tries}): {mail.last_error}")


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
