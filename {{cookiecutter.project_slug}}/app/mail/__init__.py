"""Account e-mails: password reset by mail and e-mail verification, sent through an outbox that
commits with the request and a deliverer that sends it, `flask mail` to watch it
(README "E-mail")."""

from typing import Any

from flask import Flask


def init_app(app: Flask, api: Any) -> None:
    # The routes join the core's /auth blueprint, so they are imported before it is registered
    # (the factory installs capabilities first); account.py subscribes to the core's signals.
    from app.core.api import Amendment
    from app.mail import account, routes  # noqa: F401 - their routes and receivers
    from app.mail.cli import mail_cli
    from app.mail.settings import deliverer

    deliverer().init_app(app)
    app.cli.add_command(mail_cli)
    api.amend(
        "auth.login",
        Amendment(
            note="With REQUIRE_EMAIL_VERIFICATION on, the right password of an unverified "
            "account is a 403.",
            errors=(403,),
        ),
    )
