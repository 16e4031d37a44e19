"""Queries on the outbox, the mailed tokens and verified addresses. Nothing here commits."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, func, or_, select, update

from app.extensions import db
from app.mail.models import FAILED, PENDING, SENT, AccountToken, EmailVerification, OutboxMail


def add(row: OutboxMail | AccountToken | EmailVerification) -> None:
    db.session.add(row)


def get(mail_id: int) -> OutboxMail | None:
    return db.session.get(OutboxMail, mail_id)


def delete_mail(mail: OutboxMail) -> None:
    db.session.delete(mail)


def _rowcount(statement: Any) -> int:
    # A DELETE or UPDATE returns a CursorResult, which alone has rowcount.
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        OutboxMail.status == PENDING,
        or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now),
        or_(OutboxMail.leased_until.is_(None), OutboxMail.leased_until <= now),
    )


def claim_next(now: datetime, lease_until: datetime) -> int | None:
    """Lease the oldest due mail to this sender until `lease_until`; its id, or None.

    PostgreSQL and MySQL/MariaDB: SELECT ... FOR UPDATE SKIP LOCKED hands concurrent senders
    different rows without waiting on each other. SQLite has no row locks (SQLAlchemy leaves the
    clause out) but runs one write at a time, so the conditional UPDATE below is the claim: of
    two senders that picked the same row, one updates it and the other updates nothing.
    """
    while True:
        candidate = db.session.scalar(
            select(OutboxMail.id)
            .where(_due(now))
            .order_by(OutboxMail.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if candidate is None:
            return None
        claimed = _rowcount(
            update(OutboxMail)
            .where(OutboxMail.id == candidate, _due(now))
            .values(leased_until=lease_until, attempts=OutboxMail.attempts + 1)
        )
        if claimed == 1:
            return candidate
        # Another sender took it between our read and our write: the next one, then.


def claim(mail_id: int, now: datetime, lease_until: datetime) -> bool:
    """Lease mail `mail_id` until `lease_until` if it is due and nobody holds it."""
    return (
        _rowcount(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, _due(now))
            .values(leased_until=lease_until, attempts=OutboxMail.attempts + 1)
        )
        == 1
    )


def due_ids(now: datetime, due_before: datetime, limit: int) -> list[int]:
    """The oldest mails due now and already before `due_before` that no lease holds."""
    due_at = func.coalesce(OutboxMail.next_attempt_at, OutboxMail.created_at)
    return list(
        db.session.scalars(
            select(OutboxMail.id)
            .where(_due(now), due_at < due_before)
            .order_by(OutboxMail.id)
            .limit(limit)
        )
    )


def failed(limit: int | None) -> list[OutboxMail]:
    return list(
        db.session.scalars(
            select(OutboxMail)
            .where(OutboxMail.status == FAILED)
            .order_by(OutboxMail.id.desc())
            .limit(limit)
        )
    )


def counts() -> tuple[int, int, datetime | None]:
    """How many mails are pending and failed, and when the oldest pending one was asked for."""
    rows = db.session.execute(
        select(OutboxMail.status, func.count(), func.min(OutboxMail.created_at))
        .where(OutboxMail.status.in_((PENDING, FAILED)))
        .group_by(OutboxMail.status)
    ).all()
    found = {status: (count, oldest) for status, count, oldest in rows}
    pending, oldest = found.get(PENDING, (0, None))
    return pending, found.get(FAILED, (0, None))[0], oldest


def requeue_failed() -> int:
    """Give every failed mail a new set of attempts, due now; how many."""
    return _rowcount(
        update(OutboxMail)
        .where(OutboxMail.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=None, leased_until=None)
    )


def delete_sent_before(cutoff: datetime) -> int:
    return _rowcount(
        delete(OutboxMail).where(OutboxMail.status == SENT, OutboxMail.sent_at < cutoff)
    )


def delete_for(recipient: str) -> None:
    db.session.execute(delete(OutboxMail).where(OutboxMail.recipient == recipient))


def live_account_token(token_hash: str, purpose: str, now: datetime) -> AccountToken | None:
    """The unexpired token of `purpose` with this hash, if there is one."""
    return db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash,
            AccountToken.purpose == purpose,
            AccountToken.expires_at > now,
        )
    )


def claim_account_token(token_id: int) -> bool:
    """Delete token `token_id`; False if another request used it first."""
    return _rowcount(delete(AccountToken).where(AccountToken.id == token_id)) == 1


def delete_account_tokens(user_id: int, purpose: str) -> None:
    """Delete the user's tokens of `purpose`, by primary key: on MySQL a DELETE by user locks
    the index gap where no row matches, and two deliverers issuing tokens to different users
    then deadlock on their inserts into it."""
    ids = list(
        db.session.scalars(
            select(AccountToken.id).where(
                AccountToken.user_id == user_id, AccountToken.purpose == purpose
            )
        )
    )
    if ids:
        db.session.execute(delete(AccountToken).where(AccountToken.id.in_(ids)))


def delete_user_rows(user_id: int) -> None:
    """Delete the user's mailed tokens and verified address (before the user goes)."""
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user_id))
    db.session.execute(delete(EmailVerification).where(EmailVerification.user_id == user_id))


def delete_expired_tokens(now: datetime) -> int:
    return _rowcount(delete(AccountToken).where(AccountToken.expires_at <= now))


def verified_at(user_id: int) -> datetime | None:
    """When the user proved their address; None: never."""
    return db.session.scalar(
        select(EmailVerification.verified_at).where(EmailVerification.user_id == user_id)
    )
