"""The outbox's use cases: ask for a mail, deliver it, watch, retry and purge.

A mail is asked for by adding a row in the asking use case's own transaction, so it exists if
and only if that use case committed. The deliverer (settings.DELIVERERS) then delivers each due
row: it leases the row, lets the kind's composer write the message, sends it over SMTP and
marks the row sent. A failure is tried again after MAIL_RETRY_SECONDS, doubling each time up to
an hour, until MAIL_MAX_ATTEMPTS; then the row is failed, with the server's answer. A deliverer
that dies mid-send leaves a lease that runs out after MAIL_LEASE_SECONDS, and the row is sent
again: delivery is at least once, and exactly once unless a process dies between the server's
"250" and the commit that records it. Whatever runs the deliveries, the row is the truth: a row
that is sent, failed or leased to another is never sent by a second attempt.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from smtplib import SMTPException

from blinker import Namespace
from flask import current_app

from app.core.database import utcnow
from app.extensions import db
from app.mail import message as smtp
from app.mail import repository
from app.mail.models import ERROR_LENGTH, FAILED, SENT, OutboxMail

logger = logging.getLogger(__name__)

# Writes the mail of a kind for an address at delivery time, or None: nothing to send.
Composer = Callable[[str, datetime], EmailMessage | None]
COMPOSERS: dict[str, Composer] = {}
MAX_RETRY_DELAY = timedelta(hours=1)
signals = Namespace()
# Sent with the OutboxStatus after each sender pass, and with "sent" or "failed" (and the
# seconds it took) after each hand-over to the SMTP server: the metrics subscribe.
outbox_checked = signals.signal("outbox-checked")
mail_handed_over = signals.signal("mail-handed-over")
# On the session: the mails `enqueue` added, which the deliverer reads after the commit.
ENQUEUED = "mail_enqueued"


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    failed: int
    oldest_pending_age: timedelta | None


@dataclass(frozen=True)
class Attempt:
    """Where one mail stands after `deliver` looked at it."""

    status: str  # pending, sent, failed; "" when the mail is gone or another deliverer holds it
    next_attempt_at: datetime | None = None  # when a pending mail is due again


def composer(kind: str) -> Callable[[Composer], Composer]:
    """Register the function that writes mails of `kind` (the feature that asks for them)."""

    def register(compose: Composer) -> Composer:
        COMPOSERS[kind] = compose
        return compose

    return register


def enqueue(kind: str, recipient: str, now: datetime | None = None) -> None:
    """Ask for a mail of `kind` to `recipient`; committed (or not) by the caller's use case."""
    mail = OutboxMail(kind=kind, recipient=recipient, created_at=now or utcnow())
    repository.add(mail)
    db.session.info.setdefault(ENQUEUED, []).append(mail)


def deliver_due(now: Callable[[], datetime] = utcnow, stop: Callable[[], bool] = bool) -> int:
    """Deliver mails until none is due (or `stop()` says so); how many were handled."""
    handled = 0
    while not stop() and deliver_next(now()):
        handled += 1
    return handled


def deliver_next(now: datetime | None = None) -> bool:
    """Claim one due mail and try to deliver it; False when none is due."""
    now = now or utcnow()
    mail_id = repository.claim_next(now, _lease_end(now))
    db.session.commit()
    if mail_id is None:
        return False
    _deliver_claimed(mail_id, now)
    return True


def deliver(mail_id: int, now: datetime | None = None) -> Attempt:
    """Deliver mail `mail_id` if it is due and nobody holds it; where it stands after.

    Asked twice for the same mail, or for a mail already sent, it sends nothing more.
    """
    now = now or utcnow()
    claimed = repository.claim(mail_id, now, _lease_end(now))
    db.session.commit()
    if claimed:
        return _deliver_claimed(mail_id, now)
    mail = repository.get(mail_id)
    if mail is None or (mail.leased_until is not None and mail.leased_until > now):
        return Attempt("")
    return Attempt(mail.status, mail.next_attempt_at)


def overdue(waited: timedelta, limit: int, now: datetime | None = None) -> list[int]:
    """The oldest mails (at most `limit`) that nobody holds and that were due `waited` ago."""
    now = now or utcnow()
    return repository.due_ids(now, now - waited, limit)


def _lease_end(now: datetime) -> datetime:
    return now + timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


def _deliver_claimed(mail_id: int, now: datetime) -> Attempt:
    """Deliver the mail this process has just leased."""
    mail = repository.get(mail_id)
    if mail is None:
        return Attempt("")
    kind = mail.kind
    try:
        message = _compose(mail, now)
        if message is None:
            # Nobody to write to (no such account, say): keep no trace of the address.
            repository.delete_mail(mail)
            db.session.commit()
            return Attempt("")
        # What the message refers to (a token's hash) is stored before the message leaves.
        db.session.commit()
        _send(message)
    except (SMTPException, OSError) as exc:
        db.session.rollback()
        _record_failure(mail, f"{type(exc).__name__}: {exc}", now)
    except Exception as exc:
        # Not the server's answer (a composer's error, a deadlock of the database): the details
        # may hold anything, the log has the traceback. The session is rolled back before the
        # mail is read again: after a failed flush it answers nothing else.
        db.session.rollback()
        logger.exception("mail %s (%s) not composed", mail_id, kind)
        _record_failure(mail, type(exc).__name__, now)
    else:
        mail.status, mail.sent_at, mail.leased_until = SENT, now, None
        db.session.commit()
    return Attempt(mail.status, mail.next_attempt_at)


def status(now: datetime | None = None) -> OutboxStatus:
    """How many mails wait and failed, and how long the oldest waiting one has waited."""
    pending, failed, oldest = repository.counts()
    age = (now or utcnow()) - oldest if oldest is not None else None
    return OutboxStatus(pending=pending, failed=failed, oldest_pending_age=age)


def report_status() -> OutboxStatus:
    """Tell the outbox's subscribers its status (after each sender pass); the status told."""
    current = status()
    outbox_checked.send(current)
    return current


def failures(limit: int = 10) -> list[OutboxMail]:
    """The most recently failed mails, newest first, with the server's last answer."""
    return repository.failed(limit)


def retry_failed() -> int:
    """Send every failed mail again, with a new set of attempts; how many."""
    mails = repository.failed(limit=None)
    count = repository.requeue_failed()
    # The deliverer hears of them after the commit, as of newly asked-for mails.
    db.session.info.setdefault(ENQUEUED, []).extend(mails)
    db.session.commit()
    return count


def purge_sent(older_than: timedelta, now: datetime | None = None) -> int:
    """Delete the mails sent more than `older_than` ago; how many."""
    count = repository.delete_sent_before((now or utcnow()) - older_than)
    db.session.commit()
    return count


def forget(recipient: str) -> None:
    """Delete every mail to `recipient` (its account is going); committed by the caller."""
    repository.delete_for(recipient)


def _compose(mail: OutboxMail, now: datetime) -> EmailMessage | None:
    compose = COMPOSERS.get(mail.kind)
    if compose is None:
        raise LookupError(f"no composer for mail kind {mail.kind!r}")
    return compose(mail.recipient, now)


def _send(message: EmailMessage) -> None:
    started = time.perf_counter()
    outcome = "failed"
    try:
        smtp.send(smtp.SmtpSettings.from_config(current_app.config), message)
        outcome = "sent"
    finally:
        mail_handed_over.send(outcome, seconds=time.perf_counter() - started)


def _record_failure(mail: OutboxMail, error: str, now: datetime) -> None:
    """Schedule the next attempt after a growing delay, or fail the mail after the last one."""
    config = current_app.config
    mail.last_error = error[:ERROR_LENGTH]
    mail.leased_until = None
    if mail.attempts >= config["MAIL_MAX_ATTEMPTS"]:
        mail.status = FAILED
        logger.error("mail %s (%s) failed after %d attempts", mail.id, mail.kind, mail.attempts)
    else:
        delay = timedelta(seconds=config["MAIL_RETRY_SECONDS"] * 2 ** (mail.attempts - 1))
        mail.next_attempt_at = now + min(delay, MAX_RETRY_DELAY)
        logger.warning("mail %s (%s) not sent, attempt %d", mail.id, mail.kind, mail.attempts)
    db.session.commit()
