"""Failures stay inside the JSON contract and fail closed."""

from http import HTTPStatus

from flask import Blueprint
from sqlalchemy.exc import OperationalError

from app import create_app
from app.auth import service as auth_service
from app.config import TestingConfig
from app.extensions import db


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


def test_connections_the_database_dropped_cost_no_request(client, user, user_headers):
    user_id = user.id
    assert client.get(f"/users/{user_id}", headers=user_headers).status_code == HTTPStatus.OK
    db.session.close()  # the test's own session gives its connection back to the pool
    # What a database restart leaves in the pools: idle connections whose other end is gone.
    dropped = []
    for engine in db.engines.values():
        idle = [engine.connect() for _ in range(engine.pool.checkedin())]  # type: ignore[attr-defined]
        dropped += [connection.connection.dbapi_connection for connection in idle]
        for connection in idle:
            connection.close()
    assert dropped
    for connection in dropped:
        connection.close()

    response = client.get(f"/users/{user_id}", headers=user_headers)

    assert response.status_code == HTTPStatus.OK
    assert response.json["id"] == user_id
