"""The account e-mails: a link to FRONTEND_URL carrying the token, as plain text and HTML."""

from datetime import timedelta
from email.message import EmailMessage
from html import escape
from urllib.parse import urlencode

from flask import current_app

from app.mail.message import compose
from app.users.models import User

RESET_PATH = "/reset-password"
VERIFY_PATH = "/verify-email"


def password_reset(user: User, token: str, lifetime: timedelta) -> EmailMessage:
    """The reset mail: the link works once, within `lifetime`."""
    return _link_mail(
        user,
        subject="Reset your password",
        intro="Someone (we hope you) asked to reset the password of your account.",
        action="Choose a new password",
        link=_link(RESET_PATH, token),
        outro=f"The link works once, for {_minutes(lifetime)} minutes. If you did not ask for it, "
        "ignore this mail: your password stays as it is.",
    )


def email_verification(user: User, token: str, lifetime: timedelta) -> EmailMessage:
    """The verification mail: following the link proves the address is the user's."""
    return _link_mail(
        user,
        subject="Confirm your e-mail address",
        intro="Please confirm that this is your e-mail address.",
        action="Confirm my address",
        link=_link(VERIFY_PATH, token),
        outro=f"The link works once, for {_minutes(lifetime)} minutes. If you did not create an "
        "account, ignore this mail.",
    )


def _link(path: str, token: str) -> str:
    return f"{current_app.config['FRONTEND_URL']}{path}?{urlencode({'token': token})}"


def _minutes(lifetime: timedelta) -> int:
    return int(lifetime.total_seconds() // 60)


def _link_mail(
    user: User, subject: str, intro: str, action: str, link: str, outro: str
) -> EmailMessage:
    text = f"Hello {user.name},\n\n{intro}\n\n{action}: {link}\n\n{outro}\n"
    html = (
        f"<p>Hello {escape(user.name)},</p><p>{escape(intro)}</p>"
        f'<p><a href="{escape(link)}">{escape(action)}</a></p><p>{escape(outro)}</p>'
    )
    return compose(user.email, subject, text, html)
