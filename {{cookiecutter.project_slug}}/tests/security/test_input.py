"""Hostile input gets a clear 4xx JSON error, never a 500, and nothing is half-written."""

import threading
from http import HTTPStatus

import pytest

from app.users import repository
from tests.helpers import PASSWORD

GOOD = {"email": "in@example.com", "name": "In", "password": PASSWORD}

RAW_BODIES = [
    pytest.param("{not json", "application/json", 400, id="malformed"),
    pytest.param("email=a", "application/x-www-form-urlencoded", 415, id="not-json"),
    pytest.param("", "application/json", 400, id="empty"),
    pytest.param("[" * 50_000 + "]" * 50_000, "application/json", 400, id="deep-nesting"),
    pytest.param('{"email": NaN}', "application/json", 400, id="nan"),
    pytest.param('{"age": Infinity}', "application/json", 400, id="infinity"),
    pytest.param('["a", "b"]', "application/json", 400, id="array"),
    pytest.param('"just a string"', "application/json", 400, id="bare-string"),
    pytest.param("\xff\xfe", "application/json", 400, id="not-utf8"),
]

FIELD_CASES = [
    pytest.param({"name": "A\x00B"}, "name", id="nul-in-name"),
    pytest.param({"password": "pass\x00word1"}, "password", id="nul-in-password"),
    pytest.param({"email": "a\x00@example.com"}, "email", id="nul-in-email"),
    pytest.param({"age": "25"}, "age", id="age-as-string"),
    pytest.param({"age": 25.5}, "age", id="age-as-float"),
    pytest.param({"age": True}, "age", id="age-as-bool"),
    pytest.param({"name": ["x"]}, "name", id="name-as-list"),
    pytest.param({"email": {"$ne": ""}}, "email", id="email-as-object"),
    pytest.param({"is_active": False}, "is_active", id="mass-assignment"),
    pytest.param({"password_hash": "x"}, "password_hash", id="hash-assignment"),
    pytest.param({"name": "n" * 101}, "name", id="long-name"),
    pytest.param({"email": "e" * 250 + "@example.com"}, "email", id="long-email"),
    pytest.param({"password": "p" * 1025}, "password", id="long-password"),
    pytest.param({"age": 10**30}, "age", id="huge-age"),
]


@pytest.mark.parametrize(("data", "content_type", "status"), RAW_BODIES)
def test_unusable_body_is_a_json_4xx_and_writes_nothing(client, data, content_type, status):
    response = client.post("/auth/register", data=data, content_type=content_type)

    assert response.status_code == status
    assert response.json["status_code"] == status
    assert response.json["error"]
    assert repository.count() == 0


def test_body_over_the_limit_is_413(client, app):
    big = '{"name": "' + "x" * app.config["MAX_CONTENT_LENGTH"] + '"}'

    response = client.post("/auth/register", data=big, content_type="application/json")

    assert response.json == {"error": "Request Entity Too Large", "status_code": 413}


@pytest.mark.parametrize(("change", "field"), FIELD_CASES)
def test_bad_field_is_400_naming_it_and_writes_nothing(client, change, field):
    response = client.post("/auth/register", json=GOOD | change)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json["details"]
    assert repository.count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "Zoë 😀🎉",
        "مرحبا بالعالم",
        "שלום\u200f עולם",
        "e\u0301\u0327 Z\u0351\u0362a",
        'O\'Brien; Jr. & "Sons"',
        "Robert'); DROP TABLE users;--",
    ],
    ids=["emoji", "arabic", "hebrew-rlm", "combining", "punctuation", "sql-text"],
)
def test_unicode_and_punctuation_round_trip_unchanged(client, admin_headers, name):
    created = client.post(
        "/users", json={"email": "u@example.com", "name": name}, headers=admin_headers
    )

    fetched = client.get(f"/users/{created.json['id']}", headers=admin_headers)

    assert created.status_code == HTTPStatus.CREATED
    assert fetched.json["name"] == name


def test_concurrent_registrations_of_one_email_create_one_user(app):
    attempts = 8
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def register(n: int) -> None:
        client = app.test_client()
        body = GOOD | {"email": "race@example.com"}
        barrier.wait()
        response = client.post(
            "/auth/register", json=body, environ_base={"REMOTE_ADDR": f"10.1.0.{n}"}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [HTTPStatus.CREATED] + [HTTPStatus.CONFLICT] * (attempts - 1)
    assert repository.count() == 1
