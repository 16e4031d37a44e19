"""The outbox (one row per mail asked for, written in the transaction that asks for it), the
single-use tokens of the mailed links, and when each account proved its address."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.extensions import db

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
ERROR_LENGTH = 500


class OutboxMail(db.Model):
    """A mail to send: what kind, to which address. The sender writes the message itself.

    No row holds a message body or a link: the kind's composer builds both at delivery (an
    account link's token is born then and stored only as its hash), so the outbox never keeps
    a secret, whether sent, pending or failed.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: as soon as a sender is free; after a failure, when to try again.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While set and in the future, a sender holds the row (crashed senders' leases run out).
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The SMTP server's answer to the last attempt that failed.
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))


class AccountToken(db.Model):
    """A single-use link sent by e-mail (password reset, address verification).

    Only the SHA-256 of the token is stored: a copy of the database opens no account.
    The row is deleted when the token is used or replaced by a newer one of the same purpose.
    """

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EmailVerification(db.Model):
    """When the owner proved they read mail at the account's address (a verification or reset
    link); no row: never."""

    __tablename__ = "email_verifications"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
