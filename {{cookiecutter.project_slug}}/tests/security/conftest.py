"""Helpers for the security claims: cookies, forged tokens, switches."""

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.core.config import TestingConfig


def refresh_cookie(client: FlaskClient, app: Flask):
    return client.get_cookie(app.config["JWT_REFRESH_COOKIE_NAME"], path="/auth")


def plant_refresh_cookie(client: FlaskClient, app: Flask, value: str) -> None:
    client.set_cookie(app.config["JWT_REFRESH_COOKIE_NAME"], value, path="/auth")


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    """Turn the double-submit CSRF check on, as it is in every config but testing."""
    app.config["JWT_COOKIE_CSRF_PROTECT"] = True
    yield
    app.config["JWT_COOKIE_CSRF_PROTECT"] = False


@pytest.fixture
def make_app(app: Flask):
    """Build another app on the same test database with config changes (for start-up options)."""

    def build(**overrides: object) -> Flask:
        config = TestingConfig()
        config.SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        for name, value in overrides.items():
            setattr(config, name, value)
        return create_app(config)

    return build
