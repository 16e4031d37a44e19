"""The `flask users`, `db create`, `db upgrade`, `db migrate`, `sessions purge` and `seed-demo`
commands (each capability adds its own group)."""

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup, with_appcontext
from flask_migrate import migrate as write_revision
from flask_migrate import upgrade as apply_revisions
from flask_migrate.cli import db as db_cli
from marshmallow import ValidationError
from sqlalchemy.engine import make_url

from app.auth import service as auth_service
from app.core.database import DatabaseNotCreated, create_database
from app.errors import EmailAlreadyRegistered
from app.users import service
from app.users.models import ROLE_ADMIN, ROLE_USER
from app.users.schemas import UserCreateSchema

users_cli = AppGroup("users", help="Manage user accounts.")
# The branch label of the core's migrations (migrations/versions/0001_initial.py).
CORE_BRANCH = "core"
sessions_cli = AppGroup("sessions", help="Maintain login sessions.")

# (e-mail, name, role, age) of the accounts `flask seed-demo` creates.
DEMO_USERS = (
    ("admin@example.com", "Ada Admin", ROLE_ADMIN, 36),
    ("alice@example.com", "Alice Example", ROLE_USER, 29),
    ("bob@example.com", "Bob Example", ROLE_USER, 41),
    ("carol@example.com", "Carol Example", ROLE_USER, None),
)
DEMO_PASSWORD = "demo-password"  # noqa: S105 - development data, printed on purpose


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
    user, created = auth_service.make_admin(data["email"], data["name"], data["password"])
    verb = "Created" if created else "Promoted"
    click.echo(f"{verb} admin {user.email} (id {user.id}).")


# Flask-Migrate's `flask db` is a click group: click's Group.command adds one more command to it.
@db_cli.command("create")
def create_database_command() -> None:
    """Create the database in DATABASE_URL if it is missing."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    shown = url.render_as_string(hide_password=True)
    try:
        created = create_database(url)
    except DatabaseNotCreated as exc:
        raise click.ClickException(f"could not create the database {shown}: {exc}") from None
    if url.get_backend_name() == "sqlite":
        click.echo(f"Nothing to create: SQLite makes {shown} on first use.")
    else:
        click.echo(f"{'Created' if created else 'Kept the existing'} database {shown}.")


# Each capability's migrations are a branch of their own (app/capabilities.py), so the schema
# has several heads: `upgrade` applies them all, and a new revision goes on the core's branch
# (migrations/versions) unless --head names another. Flask-Migrate's own commands default to
# the single "head", which several heads make ambiguous.
@db_cli.command("upgrade")
@click.argument("revision", default="heads")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
@with_appcontext
def upgrade_command(revision: str, sql: bool) -> None:
    """Upgrade the database to REVISION (default: every branch's head)."""
    apply_revisions(directory=g.directory, revision=revision, sql=sql)


@db_cli.command("migrate")
@click.option("-m", "--message", help="What the revision does.")
@click.option("--head", default=f"{CORE_BRANCH}@head", show_default=True, help="Its parent.")
@click.option("--rev-id", help="Its id (default: a generated one).")
@with_appcontext
def migrate_command(message: str | None, head: str, rev_id: str | None) -> None:
    """Write a revision from the difference between the models and the database."""
    write_revision(directory=g.directory, message=message, head=head, rev_id=rev_id)


@click.command("seed-demo")
@click.option("--password", default=DEMO_PASSWORD, show_default=True, help="For every account.")
@with_appcontext
def seed_demo(password: str) -> None:
    """Fill a development database with demo accounts; existing ones are left alone."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo fills development databases; FLASK_ENV is production")
    for email, name, role, age in DEMO_USERS:
        try:
            data = UserCreateSchema().load(
                {"email": email, "name": name, "password": password, "age": age}
            )
        except ValidationError as exc:
            raise click.BadParameter(_describe(exc.messages)) from None
        try:
            user = service.create_user(**data, role=role)
        except EmailAlreadyRegistered:
            click.echo(f"Kept {email}: it exists already.")
            continue
        click.echo(f"Created {role} {user.email} (id {user.id}).")
    click.echo(f"Demo accounts log in with the password {password!r}.")


@sessions_cli.command("purge")
def purge_sessions() -> None:
    """Delete expired login sessions, their refresh tokens and what else expired (daily)."""
    (what, count), *others = auth_service.purge_expired()
    click.echo(f"Purged {count} {what}{'' if count == 1 else 's'}.")
    for what, count in others:
        if count:
            click.echo(f"Purged {count} {what}{'' if count == 1 else 's'}.")


def _describe(messages: object) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{field}: {' '.join(map(str, errs))}" for field, errs in messages.items())
    return str(messages)


def register_commands(app: Flask) -> None:
    for command in (users_cli, sessions_cli, seed_demo):
        app.cli.add_command(command)
