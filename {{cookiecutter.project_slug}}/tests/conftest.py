"""Fixtures: app -> client -> logged-in headers, with a user factory and a clean database per test.

The schema is built once per run by the shipped migrations (never `create_all`), so a model that
drifts from its migration fails here. TestingConfig picks the database; pytest's header names it.
Each installed capability's tests may add fixtures for the whole suite (tests/<name>/fixtures*.py),
and the settings its apps need in APP_ENV and PRODUCTION_ENV there.
"""

import importlib
import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from app import capabilities, create_app
from app.auth.models import AuthSession, RefreshToken
from app.config import TestingConfig
from app.core.database import create_database, utcnow
from app.extensions import db, limiter
from app.users import service as user_service
from app.users.models import ROLE_ADMIN, ROLE_USER, User
from tests.helpers import PASSWORD

HERE = Path(__file__).parent
pytest_plugins = [
    f"tests.{name}.{path.stem}"
    for name in capabilities.INSTALLED
    for path in sorted((HERE / name).glob("fixtures*.py"))
]
# Tables whose rows come from the migrations (the roles): the cleanup after each test keeps them.
SEEDED_TABLES = {"roles"}
DATABASE = make_url(TestingConfig().SQLALCHEMY_DATABASE_URI)


def pytest_report_header() -> str:
    return f"database: {DATABASE.render_as_string(hide_password=True)}"


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    app = create_app(TestingConfig())
    create_database(DATABASE)
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.session.remove()
        downgrade(revision="base")
    if DATABASE.get_backend_name() == "sqlite" and DATABASE.database:
        Path(DATABASE.database).unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def app_context(app: Flask) -> Iterator[None]:
    """Run each test in an app context, then empty every table the test may have filled."""
    with app.app_context():
        yield
        db.session.rollback()
        # Children before parents, so no foreign key is violated; seeded rows stay.
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in SEEDED_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()
    limiter.reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user() -> Callable[..., User]:
    """Create a user through the service; `role` is "user" unless told otherwise."""
    counter = iter(range(1, 10_000))

    def factory(**overrides: Any) -> User:
        n = next(counter)
        fields = {
            "email": f"user{n}@example.com",
            "name": f"User {n}",
            "password": PASSWORD,
            "age": 30,
            "role": ROLE_USER,
        }
        fields.update(overrides)
        return user_service.create_user(**fields)

    return factory


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], dict[str, str]]:
    """Log `user` in over HTTP and return its Authorization header."""

    def do_login(user: User, password: str = PASSWORD) -> dict[str, str]:
        response = client.post("/auth/login", json={"email": user.email, "password": password})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    return do_login


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(email="admin@example.com", name="Admin", role=ROLE_ADMIN)


@pytest.fixture
def user_headers(login: Callable[[User], dict[str, str]], user: User) -> dict[str, str]:
    return login(user)


@pytest.fixture
def admin_headers(login: Callable[[User], dict[str, str]], admin: User) -> dict[str, str]:
    return login(admin)


@pytest.fixture
def make_app(app: Flask) -> Callable[..., Flask]:
    """Build another app on the same test database with config changes (for start-up options)."""

    def build(**overrides: object) -> Flask:
        config = TestingConfig()
        for name, value in overrides.items():
            setattr(config, name, value)
        return create_app(config)

    return build


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment for a test that builds a development or production app.

    The limiter is one object, bound to the last app built: such an app counts in memory, never
    in a shared Redis that the cleanup after each test would then empty.
    """
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    set_capability_env(monkeypatch, "APP_ENV")
    return monkeypatch


@pytest.fixture
def production_env(app_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment production needs to start: strong secrets, a database, and what each
    capability needs."""
    monkeypatch = app_env
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("JWT_SECRET_KEY", "j" * 32)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    set_capability_env(monkeypatch, "PRODUCTION_ENV")
    return monkeypatch


def set_capability_env(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Set the variables each capability's fixtures module lists under `name`."""
    for variable, value in capability_env(name).items():
        monkeypatch.setenv(variable, value)


def capability_env(name: str) -> dict[str, str]:
    """The variables each capability's fixtures module lists under `name`, together."""
    modules = map(importlib.import_module, pytest_plugins)
    return {
        variable: value
        for module in modules
        for variable, value in getattr(module, name, {}).items()
    }


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Subprocesses a test starts, stopped when it ends (SIGTERM, then SIGKILL after 30 s)."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    """Turn the double-submit CSRF check on, as it is in every config but testing."""
    app.config["JWT_COOKIE_CSRF_PROTECT"] = True
    yield
    app.config["JWT_COOKIE_CSRF_PROTECT"] = False


@pytest.fixture
def expired_session(user: User) -> str:
    """A session of `user`, with one refresh token, whose expiry has passed; its id."""
    past = utcnow() - timedelta(days=1)
    db.session.add(AuthSession(id="expired-session", user_id=user.id, expires_at=past))
    db.session.add(RefreshToken(jti="expired-token", session_id="expired-session", expires_at=past))
    db.session.commit()
    return "expired-session"
