"""`flask two-factor rotate-key`: re-encrypt the TOTP secrets under the first key listed."""

import click
from flask.cli import AppGroup

from app.twofactor import service

two_factor_cli = AppGroup("two-factor", help="Maintain two-factor sign-in.")


@two_factor_cli.command("rotate-key")
def rotate_key() -> None:
    """Encrypt every TOTP secret with the first of TOTP_ENCRYPTION_KEYS (after adding a key).

    Then the older keys can leave the list (README "Two-factor sign-in").
    """
    count = service.rotate_key()
    click.echo(f"Re-encrypted {count} two-factor secret{'' if count == 1 else 's'}.")
