"""Users and their roles, and the user a request acts as."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.database import UTCDateTime, utcnow
from app.extensions import db

ROLE_ADMIN = "admin"
ROLE_USER = "user"
# Ids are 32-bit columns on every database: a larger number names no user.
MAX_ID = 2**31 - 1


class Role(db.Model):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    age: Mapped[int | None] = mapped_column(Integer)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role: Mapped[Role] = relationship(lazy="joined", innerjoin=True)

    def set_password(self, password: str, method: str) -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        # An account created without a password can never log in.
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role.name == ROLE_ADMIN


@dataclass(frozen=True, slots=True)
class Actor:
    """The user a request acts as: the account its access token names, read fresh on every
    request (app/auth/tokens.py). Services that change the account load its `User` by `id`."""

    id: int
    email: str
    name: str
    age: int | None
    role: str
    # The login session of the token (None for another credential); two actors of one user are
    # equal.
    session_id: str | None = field(default=None, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @classmethod
    def of(cls, user: User) -> "Actor":
        """The actor `user` would be once logged in."""
        return cls(id=user.id, email=user.email, name=user.name, age=user.age, role=user.role.name)
