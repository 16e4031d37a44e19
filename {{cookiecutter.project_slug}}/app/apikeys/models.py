"""Personal API keys: a user's long-lived credentials for scripts and integrations."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.extensions import db

# Longest textual IPv6 address (an IPv4-mapped one): 45 characters.
ADDRESS_LENGTH = 45


class ApiKey(db.Model):
    """A key acts as its user, with the user's current role, until revoked or expired.

    Only the SHA-256 of the key is stored; `prefix` is its first characters, to recognise it in
    a list. `last_used_at` is written at most once a minute; `last_used_address` on a change.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(40))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
