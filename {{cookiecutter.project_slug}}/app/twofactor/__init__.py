"""Two-factor sign-in: TOTP authenticators with recovery codes, a second step for the logins of
accounts that turn it on, and the option to require it of admins (README "Two-factor sign-in").
"""

from typing import Any

from flask import Flask


def init_app(app: Flask, api: Any) -> None:
    # login.py adds the second step to the core's /auth blueprint; the service subscribes to the
    # core's login, which then answers with a challenge (documented here) instead of tokens.
    from app.core.api import Amendment
    from app.twofactor import login, routes  # noqa: F401 - login's route joins /auth
    from app.twofactor.cli import two_factor_cli
    from app.twofactor.schemas import LoginChallengeSchema

    api.register_blueprint(routes.bp)
    api.admin_check(routes.enrolled_if_required)
    app.cli.add_command(two_factor_cli)
    api.amend(
        "auth.login",
        Amendment(
            note="With two-factor sign-in on, no token yet: `two_factor_required`, and a "
            "`challenge` to send with a code to /auth/login/2fa.",
            alternatives={200: ("LoginChallenge", LoginChallengeSchema)},
        ),
    )
