"""No stored audit event holds a password, token, hash, link, secret or unknown address."""

import json
from http import HTTPStatus

import pyotp
import pytest
from sqlalchemy import select

from app.apikeys.service import hash_key as hash_api_key
from app.audit.models import AuditEvent
from app.core import events
from app.extensions import db
from app.mail import account
from app.mail.account import hash_token
from app.users.models import User
from tests.audit.helpers import browser_client
from tests.helpers import PASSWORD, plant_refresh_cookie, refresh_cookie


@pytest.fixture
def verification_required(app):
    app.config["REQUIRE_EMAIL_VERIFICATION"] = True
    yield
    app.config["REQUIRE_EMAIL_VERIFICATION"] = False


def test_a_full_scenario_stores_no_secret_in_any_event(app, mailbox, admin, verification_required):
    account.mark_verified(admin.id)
    db.session.commit()
    client = browser_client(app)
    secrets = {PASSWORD, app.config["SECRET_KEY"], app.config["JWT_SECRET_KEY"]}

    def post(path, body=None, headers=None, status=HTTPStatus.OK):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == status, (path, response.json)
        return response

    def log_in(email, password):
        response = post("/auth/login", {"email": email, "password": password})
        secrets.update({response.json["access_token"], refresh_cookie(client, app).value})
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    def mailed_token(email):
        token = mailbox.token(email)
        secrets.update({token, hash_token(token)})
        secrets.update(
            link
            for link in mailbox.messages()[-1].get_body().get_content().split()
            if link.startswith("http")
        )
        return token

    first, second, third = "first passphrase 1", "second passphrase 2", "third passphrase 3"
    secrets.update({first, second, third, "wrong passphrase 4", "nobody-9f3a@example.com"})
    body = {"email": "eve@example.com", "name": "Eve", "password": first}
    eve = post("/auth/register", body, status=HTTPStatus.CREATED).json["user_id"]
    post("/auth/verify-email/confirm", {"token": mailed_token("eve@example.com")})
    eve_headers = log_in("eve@example.com", first)
    stolen = refresh_cookie(client, app).value
    secrets.add(post("/auth/refresh").json["access_token"])
    secrets.add(refresh_cookie(client, app).value)
    plant_refresh_cookie(client, app, stolen)
    post("/auth/refresh", status=HTTPStatus.UNAUTHORIZED)
    eve_headers = log_in("eve@example.com", first)
    post("/auth/password", {"current_password": first, "new_password": second}, eve_headers)
    post(
        "/auth/login",
        {"email": "eve@example.com", "password": "wrong passphrase 4"},
        status=HTTPStatus.UNAUTHORIZED,
    )
    post(
        "/auth/login",
        {"email": "nobody-9f3a@example.com", "password": second},
        status=HTTPStatus.UNAUTHORIZED,
    )
    post("/auth/password-reset", {"email": "eve@example.com"}, status=HTTPStatus.ACCEPTED)
    post(
        "/auth/password-reset/confirm",
        {"token": mailed_token("eve@example.com"), "new_password": third},
    )
    eve_headers = log_in("eve@example.com", third)
    assert client.get("/users", headers=eve_headers).status_code == HTTPStatus.FORBIDDEN
    # Two-factor sign-in: on, a failed and a recovery second step, new codes, off.
    enrolment = post("/auth/2fa/setup", {"password": third}, eve_headers).json
    code = pyotp.TOTP(enrolment["secret"]).now()
    codes = post("/auth/2fa/enable", {"code": code}, eve_headers).json["recovery_codes"]
    login = post("/auth/login", {"email": "eve@example.com", "password": third}).json
    secrets.update({enrolment["secret"], enrolment["otpauth_uri"], code, *codes})
    secrets.add(login["challenge"])
    wrong = {"challenge": login["challenge"], "code": "ffff-ffff-ffff-ffff"}
    post("/auth/login/2fa", wrong, status=HTTPStatus.UNAUTHORIZED)
    session = post("/auth/login/2fa", wrong | {"code": codes[0]}).json["access_token"]
    secrets.update({session, refresh_cookie(client, app).value})
    eve_headers = {"Authorization": f"Bearer {session}"}
    renewal = {"password": third, "code": codes[1]}
    codes = post("/auth/2fa/recovery-codes", renewal, eve_headers).json["recovery_codes"]
    secrets.update(codes)
    off = {"password": third, "code": codes[0]}
    post("/auth/2fa/disable", off, eve_headers, status=HTTPStatus.NO_CONTENT)
    eve_headers = log_in("eve@example.com", third)
    secrets.add(post("/auth/2fa/setup", {"password": third}, eve_headers).json["secret"])
    # An API key: created, used from two addresses, revoked.
    key = post("/users/me/api-keys", {"name": "ci"}, eve_headers, status=HTTPStatus.CREATED).json
    secrets.update({key["key"], hash_api_key(key["key"])})
    for address in ("192.0.2.1", "192.0.2.2"):
        used = client.get(
            "/users/me", headers={"X-API-Key": key["key"]}, environ_base={"REMOTE_ADDR": address}
        )
        assert used.status_code == HTTPStatus.OK
    revoked = client.delete(f"/users/me/api-keys/{key['id']}", headers=eve_headers)
    assert revoked.status_code == HTTPStatus.NO_CONTENT
    post("/auth/logout", headers=eve_headers)
    admin_headers = log_in(admin.email, PASSWORD)
    assert client.delete(f"/auth/2fa/users/{eve}", headers=admin_headers).status_code == 204
    for change in ({"role": "admin"}, {"role": "user"}, {"is_active": False}, {"is_active": True}):
        assert client.patch(f"/users/{eve}", json=change, headers=admin_headers).status_code == 200
    secrets.update(db.session.scalars(select(User.password_hash)))
    assert client.delete(f"/users/{eve}", headers=admin_headers).status_code == 204
    for email in ("root@example.com", admin.email):  # one created, one promoted
        arguments = ["--email", email, "--name", "Root", "--password", "fourth passphrase 5"]
        app.test_cli_runner().invoke(args=["users", "create-admin", *arguments])
    secrets.add("fourth passphrase 5")
    secrets.update(db.session.scalars(select(User.password_hash)))

    rows = db.session.execute(select(AuditEvent.__table__)).all()
    stored = "\n".join(json.dumps([str(value) for value in row]) for row in rows)
    assert {row.action for row in rows} == events.ACTIONS  # every kind
    assert "eve@example.com" not in stored
    leaked = [secret for secret in secrets if secret and secret in stored]
    assert leaked == []
