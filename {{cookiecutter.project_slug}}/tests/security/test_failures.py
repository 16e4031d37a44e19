"""Failures stay inside the JSON contract and fail closed."""

from http import HTTPStatus

from flask import Blueprint
from sqlalchemy.exc import OperationalError

from app import create_app
from app.auth import service as auth_service
from app.config import TestingConfig


def test_unexpected_error_is_a_generic_500_with_the_request_id(capsys):
    def explode():
        raise RuntimeError("secret internals: SELECT * FROM users")

    app = create_app(TestingConfig())
    blueprint = Blueprint("boom", __name__)
    blueprint.add_url_rule("/boom", view_func=explode)
    app.register_blueprint(blueprint)

    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-500"})

    assert response.json == {
        "error": "Internal server error",
        "status_code": 500,
        "request_id": "req-500",
    }
    assert "secret internals" not in response.get_data(as_text=True)
    assert "secret internals" in capsys.readouterr().err  # the traceback went to the log


def test_revocation_check_that_cannot_run_refuses_the_request(
    client, user, user_headers, monkeypatch
):
    def broken(session_id: str, user_id: int) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(auth_service, "user_of_session", broken)

    response = client.get(f"/users/{user.id}", headers=user_headers)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json == {"error": "Service temporarily unavailable", "status_code": 503}
