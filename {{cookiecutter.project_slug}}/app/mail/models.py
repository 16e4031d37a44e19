"""The outbox: one row per mail asked for, written in the transaction that asks for it."""

from datetime import datetime

from sqlalchemy import Index, Integer, String
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
