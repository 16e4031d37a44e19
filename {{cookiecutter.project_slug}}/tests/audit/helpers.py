"""Reading the audit log in tests: through the API, as its readers do."""

import time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.audit import ordering
from app.audit.models import AuditEvent
from app.extensions import db

# Where the requests of `browser_client` come from, as an event records it.
HERE = {"ip_address": "127.0.0.1", "user_agent": "audit-test/1.0", "request_id": "req-audit-1"}


def browser_client(app: Flask) -> FlaskClient:
    """A test client that names its browser and request id on every request (HERE)."""
    client = app.test_client()
    client.environ_base.update(
        HTTP_USER_AGENT=HERE["user_agent"], HTTP_X_REQUEST_ID=HERE["request_id"]
    )
    return client


def audit_log(client: FlaskClient, headers: dict[str, str], **query: Any) -> list[dict]:
    """GET /audit-events as an admin with `query`; the events of the first page."""
    response = client.get("/audit-events", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def the_event(client: FlaskClient, headers: dict[str, str], action: str) -> dict:
    """The one event of `action`, without the id and time that no test can predict."""
    [event] = audit_log(client, headers, action=action)
    return {key: value for key, value in event.items() if key not in ("id", "created_at")}


def by(actor: int | None, target: int | None, **details: Any) -> dict[str, Any]:
    """The expected who/whom/what of an event."""
    return {
        "actor_id": actor,
        "target_type": "user" if target is not None else None,
        "target_id": target,
        "details": details,
    }


def audit_cli(app: Flask, *args: str) -> Any:
    """Run `flask audit <args>`; the click Result."""
    return app.test_cli_runner().invoke(args=["audit", *args])


# A transaction elsewhere on the server (another database's, even) holds PostgreSQL's horizon
# back until it ends: tests wait for that, not for a clock.
PATIENCE_SECONDS = 120


def settle_all() -> None:
    """Return once every committed event is below the horizon (export and seals see it)."""
    newest = db.session.scalar(select(func.max(AuditEvent.order_key)))
    db.session.commit()
    deadline = time.monotonic() + PATIENCE_SECONDS
    while newest is not None and ordering.settled_horizon() <= newest:
        assert time.monotonic() < deadline, "a transaction on the server never ended"
        time.sleep(0.05)
