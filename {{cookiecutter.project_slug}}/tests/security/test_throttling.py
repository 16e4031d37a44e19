"""Login throttling and account enumeration."""

from http import HTTPStatus

import pytest

from app.auth import service as auth_service
from app.errors import InvalidCredentials
from tests.helpers import PASSWORD


def attempt(client, email, password, ip="198.51.100.1", **headers):
    return client.post(
        "/auth/login",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers,
    )


def test_unknown_email_and_wrong_password_get_the_same_answer(client, user):
    unknown = attempt(client, "nobody@example.com", "wrong-password")
    wrong = attempt(client, user.email, "wrong-password")

    assert (unknown.status_code, unknown.json) == (wrong.status_code, wrong.json)
    assert unknown.json == {"error": "Invalid email or password", "status_code": 401}


def test_unknown_email_costs_the_same_hashing_as_a_wrong_password(user, monkeypatch):
    calls: list[str] = []
    real = auth_service.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        calls.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr(auth_service, "check_password_hash", counting)
    monkeypatch.setattr("app.users.models.check_password_hash", counting)

    for email in ("nobody@example.com", user.email):
        with pytest.raises(InvalidCredentials):
            auth_service.login(email, "wrong-password")

    assert len(calls) == 2
    assert calls[0] == calls[1] == user.password_hash.split("$")[0]


def test_failed_logins_are_limited_per_account_across_addresses(client, user):
    for n in range(10):
        attempt(client, user.email, "wrong-password", ip=f"203.0.113.{n}")

    blocked = attempt(client, user.email.upper(), PASSWORD, ip="203.0.113.200")
    other_account = attempt(client, "someone-else@example.com", "x", ip="203.0.113.201")

    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert blocked.json["status_code"] == HTTPStatus.TOO_MANY_REQUESTS
    assert other_account.status_code == HTTPStatus.UNAUTHORIZED


def test_successful_logins_do_not_use_up_the_account_budget(client, user):
    for n in range(12):
        assert attempt(client, user.email, PASSWORD, ip=f"203.0.113.{n}").status_code == 200


def test_spoofed_forwarded_for_changes_nothing_without_trusted_proxies(client, user):
    for n in range(10):
        attempt(client, f"x{n}@example.com", "wrong-password", **{"X-Forwarded-For": f"10.0.0.{n}"})

    response = attempt(client, user.email, PASSWORD, **{"X-Forwarded-For": "10.9.9.9"})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_behind_one_trusted_proxy_limits_key_on_the_real_client(make_app, user):
    client = make_app(TRUSTED_PROXY_HOPS=1).test_client()
    for _ in range(10):
        attempt(client, user.email, PASSWORD, **{"X-Forwarded-For": "192.0.2.7"})

    same_client = attempt(client, user.email, PASSWORD, **{"X-Forwarded-For": "192.0.2.7"})
    other_client = attempt(client, user.email, PASSWORD, **{"X-Forwarded-For": "192.0.2.8"})

    assert same_client.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert other_client.status_code == HTTPStatus.OK
