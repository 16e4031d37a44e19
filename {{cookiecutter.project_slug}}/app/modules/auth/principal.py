"""Who an authenticated request acts for: read with the token's session check, not an ORM row."""

from dataclasses import dataclass

from app.database.schema import ROLE_ADMIN


@dataclass(frozen=True, slots=True)
class Principal:
    """The profile and role of a token's user, as of this request's session check.

    A plain read-only value: building it costs a fraction of loading the ORM object, and
    nothing can change the account through it. Load the `User` when a request must modify it.
    """

    id: int
    email: str
    name: str
    age: int | None
    role: str
    is_active: bool

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN
