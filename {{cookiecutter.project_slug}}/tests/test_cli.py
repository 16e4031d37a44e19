"""`flask users create-admin` and `flask seed-demo`."""

from app.auth.models import AuthSession
from app.cli import DEMO_PASSWORD, DEMO_USERS
from app.extensions import db
from app.users import repository
from app.users.models import ROLE_ADMIN


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


def seed(app, *args):
    return app.test_cli_runner().invoke(args=["seed-demo", *args])


def roles_by_email() -> dict[str, str]:
    db.session.expire_all()
    return {user.email: user.role.name for user in repository.page(offset=0, limit=100)}


def test_seed_demo_creates_the_demo_accounts_through_the_service(app):
    result = seed(app)

    assert result.exit_code == 0, result.output
    assert roles_by_email() == {email: role for email, _, role, _ in DEMO_USERS}
    assert repository.get_by_email("alice@example.com").check_password(DEMO_PASSWORD)
    assert f"password {DEMO_PASSWORD!r}" in result.output


def test_seed_demo_twice_creates_nothing_more(app):
    seed(app)
    result = seed(app)

    assert result.exit_code == 0, result.output
    assert result.output.count("it exists already") == len(DEMO_USERS)
    assert repository.count() == len(DEMO_USERS)


def test_seed_demo_leaves_an_existing_account_alone(app, make_user):
    make_user(email="alice@example.com", name="The Real Alice")

    result = seed(app, "--password", "another-password")

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    alice = repository.get_by_email("alice@example.com")
    assert (alice.name, alice.check_password("another-password")) == ("The Real Alice", False)
    assert repository.get_by_email("bob@example.com").check_password("another-password")


def test_seed_demo_refuses_to_run_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")

    result = seed(app)

    assert result.exit_code == 1
    assert "FLASK_ENV is production" in result.output
    assert repository.count() == 0


def test_seed_demo_rejects_a_short_password(app):
    result = seed(app, "--password", "short")

    assert result.exit_code == 2
    assert "password" in result.output
    assert repository.count() == 0


def test_db_create_keeps_the_database_the_suite_runs_on(app):
    result = app.test_cli_runner().invoke(args=["db", "create"])

    assert result.exit_code == 0, result.output
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert result.output.startswith("Nothing to create: SQLite makes sqlite:")
    else:
        assert result.output.startswith("Kept the existing database ")


def test_sessions_purge_deletes_expired_sessions_and_says_how_many(app, expired_session):
    result = app.test_cli_runner().invoke(args=["sessions", "purge"])

    assert result.exit_code == 0, result.output
    assert result.output == "Purged 1 expired session.\n"
    assert db.session.get(AuthSession, expired_session) is None
