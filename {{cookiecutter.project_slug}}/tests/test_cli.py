"""`flask users create-admin`."""

from app.database.schema import ROLE_ADMIN
from app.extensions import db
from app.modules.users import repository


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["users", "create-admin", *args], input=input)


def test_create_admin_with_password_option(app):
    result = run(app, "--email", "Root@Example.com", "--name", "Root", "--password", "password123")

    assert result.exit_code == 0, result.output
    assert "Created admin root@example.com" in result.output
    db.session.expire_all()
    assert repository.get_by_email("root@example.com").role.name == ROLE_ADMIN


def test_create_admin_prompts_for_password_twice(app):
    result = run(app, "--email", "p@example.com", "--name", "P", input="password123\npassword123\n")

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert repository.get_by_email("p@example.com").check_password("password123")


def test_create_admin_promotes_existing_user(app, user):
    result = run(app, "--email", user.email, "--name", "Now Admin", "--password", "password123")

    assert result.exit_code == 0, result.output
    assert "Promoted admin" in result.output
    db.session.expire_all()
    assert repository.get_by_id(user.id).role.name == ROLE_ADMIN


def test_create_admin_rejects_short_password(app):
    result = run(app, "--email", "s@example.com", "--name", "S", "--password", "short")

    assert result.exit_code != 0
    assert "password" in result.output
    assert repository.get_by_email("s@example.com") is None
