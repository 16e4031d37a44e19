"""`flask users ...` commands."""

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from app.modules.users import service
from app.modules.users.model import UserCreateSchema

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.option("--email", required=True, help="E-mail address of the admin.")
@click.option("--name", required=True, help="Display name of the admin.")
@click.password_option(help="Password (prompted twice, hidden, when omitted).")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an admin account, or promote the existing account with this e-mail."""
    try:
        data = UserCreateSchema().load({"email": email, "name": name, "password": password})
    except ValidationError as exc:
        raise click.BadParameter(_describe(exc.messages)) from None
    user, created = service.make_admin(data["email"], data["name"], data["password"])
    verb = "Created" if created else "Promoted"
    click.echo(f"{verb} admin {user.email} (id {user.id}).")


def _describe(messages: object) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{field}: {' '.join(map(str, errs))}" for field, errs in messages.items())
    return str(messages)
