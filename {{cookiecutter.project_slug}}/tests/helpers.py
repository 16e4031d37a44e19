"""Values and helpers the tests share (fixtures live in conftest.py)."""

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "correct horse battery"


def refresh_cookie(client: FlaskClient, app: Flask):
    return client.get_cookie(app.config["JWT_REFRESH_COOKIE_NAME"], path="/auth")


def plant_refresh_cookie(client: FlaskClient, app: Flask, value: str) -> None:
    client.set_cookie(app.config["JWT_REFRESH_COOKIE_NAME"], value, path="/auth")
