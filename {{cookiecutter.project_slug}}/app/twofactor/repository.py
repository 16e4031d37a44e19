"""Queries for TOTP credentials, recovery codes and login challenges. Nothing here commits."""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update

from app.extensions import db
from app.twofactor.models import LoginChallenge, RecoveryCode, TotpCredential


def add(row: TotpCredential | RecoveryCode | LoginChallenge) -> None:
    db.session.add(row)


def credential(user_id: int) -> TotpCredential | None:
    return db.session.get(TotpCredential, user_id)


def is_enabled(user_id: int) -> bool:
    query = select(TotpCredential.user_id).where(
        TotpCredential.user_id == user_id, TotpCredential.enabled_at.is_not(None)
    )
    return db.session.scalar(query) is not None


def _rowcount(statement: Any) -> int:
    # A DELETE or UPDATE returns a CursorResult, which alone has rowcount.
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def claim_step(user_id: int, step: int) -> bool:
    """Record `step` as the last one used; False if it (or a later one) was used already.

    One conditional UPDATE: of two requests racing with one code, one wins.
    """
    column = TotpCredential.last_step
    query = (
        update(TotpCredential)
        .where(TotpCredential.user_id == user_id, or_(column.is_(None), column < step))
        .values(last_step=step)
    )
    return _rowcount(query) == 1


def claim_recovery_code(user_id: int, code_hash: str) -> bool:
    """Delete the user's recovery code with this hash; False if there is none (or it was used)."""
    query = delete(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash
    )
    return _rowcount(query) == 1


def count_recovery_codes(user_id: int) -> int:
    query = select(func.count()).where(RecoveryCode.user_id == user_id)
    return db.session.scalar(query) or 0


def delete_recovery_codes(user_id: int) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def delete_credential(user_id: int) -> None:
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_id))


def all_credentials() -> list[TotpCredential]:
    return list(db.session.scalars(select(TotpCredential).order_by(TotpCredential.user_id)))


def live_challenge(challenge_hash: str, now: datetime) -> LoginChallenge | None:
    return db.session.scalar(
        select(LoginChallenge).where(
            LoginChallenge.challenge_hash == challenge_hash, LoginChallenge.expires_at > now
        )
    )


def claim_challenge(challenge_id: int) -> bool:
    """Delete challenge `challenge_id`; False if another request used it first."""
    return _rowcount(delete(LoginChallenge).where(LoginChallenge.id == challenge_id)) == 1


def delete_challenges(user_id: int) -> None:
    db.session.execute(delete(LoginChallenge).where(LoginChallenge.user_id == user_id))


def delete_user_data(user_id: int) -> None:
    """Delete everything two-factor keeps about the user (before the user goes)."""
    delete_challenges(user_id)
    delete_recovery_codes(user_id)
    delete_credential(user_id)
