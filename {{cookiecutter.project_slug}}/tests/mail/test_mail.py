"""The mail backends and their settings."""

from http import HTTPStatus

import pytest

from app import create_app
from app.config import ConfigurationError
from app.mail import service as outbox


def test_without_mail_server_the_mail_is_logged_and_marked(client, user, caplog):
    assert client.application.config["MAIL_SERVER"] == ""

    response = client.post("/auth/password-reset", json={"email": user.email})
    outbox.deliver_due()

    [logged] = [
        record.getMessage() for record in caplog.records if record.name == "app.mail.message"
    ]
    assert response.status_code == HTTPStatus.ACCEPTED
    assert logged.startswith("MAIL NOT SENT (no MAIL_SERVER; development only) to=user1@")
    assert "/reset-password?token=" in logged


def test_production_refuses_to_start_without_mail_server(production_env):
    production_env.delenv("MAIL_SERVER")

    with pytest.raises(ConfigurationError, match="MAIL_SERVER must be set"):
        create_app("production")


def test_production_starts_without_mail_server_when_nothing_sends_mail(production_env):
    production_env.delenv("MAIL_SERVER")
    production_env.setenv("PASSWORD_RESET_ENABLED", "false")

    assert create_app("production").config["MAIL_SERVER"] == ""


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"MAIL_USE_TLS": "true", "MAIL_USE_SSL": "true"}, "exclude each other"),
        ({"PASSWORD_RESET_TOKEN_MINUTES": "0"}, "PASSWORD_RESET_TOKEN_MINUTES must be positive"),
        ({"MAIL_PORT": "smtp"}, "MAIL_PORT must be an integer"),
        ({"MAIL_MAX_ATTEMPTS": "0"}, "MAIL_MAX_ATTEMPTS must be positive"),
        ({"MAIL_LEASE_SECONDS": "10"}, "MAIL_LEASE_SECONDS must be longer than MAIL_TIMEOUT"),
    ],
)
def test_bad_mail_settings_stop_the_start(monkeypatch, variables, message):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=message):
        create_app("development")
