"""Account use cases of a signed-in user: change the password."""

from blinker import Namespace
from flask import current_app

from app.auth import repository
from app.core import events
from app.errors import IncorrectPassword
from app.extensions import db
from app.users import service as users
from app.users.models import Actor

# The security events these use cases record (app/core/events.py).
PASSWORD_CHANGED = events.action("account.password_changed")

signals = Namespace()
# Sent with the user's id before the commit of a new password: what the old one let the owner
# do (a reset link on its way) can go.
password_changed = signals.signal("password-changed")


def change_password(
    actor: Actor, session_id: str, current_password: str, new_password: str
) -> None:
    """Replace the password; every other session of the user ends, session `session_id` stays."""
    user = users.account_of(actor)
    if not user.check_password(current_password):
        raise IncorrectPassword()
    user.set_password(new_password, current_app.config["PASSWORD_HASH_METHOD"])
    repository.revoke_sessions(user_id=user.id, keep=session_id)
    password_changed.send(user.id)
    events.record(PASSWORD_CHANGED, actor_id=user.id, target=user.id)
    db.session.commit()
