"""Verified tokens are remembered per app, and a remembered token still expires on time."""

import time
from datetime import timedelta
from http import HTTPStatus

from flask_jwt_extended import create_access_token, decode_token

from app.core.tokens import EXTENSION_KEY, VerifiedTokens, within_time_claims


def test_a_token_is_remembered_once_verified(client, app, user, login):
    headers = login(user)
    token = headers["Authorization"].removeprefix("Bearer ")

    assert client.get(f"/users/{user.id}", headers=headers).status_code == HTTPStatus.OK
    assert app.extensions[EXTENSION_KEY].get(token, 0)["sid"] == decode_token(token)["sid"]


def test_a_remembered_token_is_refused_once_it_expires(client, app, user, login):
    sid = decode_token(login(user)["Authorization"].removeprefix("Bearer "))["sid"]
    token = create_access_token(
        str(user.id), additional_claims={"sid": sid}, expires_delta=timedelta(seconds=-5)
    )
    # As if it had been verified while still valid: only the time check stands in the way.
    app.extensions[EXTENSION_KEY].put(token, decode_token(token, allow_expired=True))

    expired = client.get(f"/users/{user.id}", headers={"Authorization": f"Bearer {token}"})

    assert expired.status_code == HTTPStatus.UNAUTHORIZED
    assert expired.json == {"error": "Token has expired", "status_code": 401}


def test_a_token_another_app_verified_is_not_trusted(client, user, login, make_app):
    headers = login(user)
    assert client.get(f"/users/{user.id}", headers=headers).status_code == HTTPStatus.OK
    other = make_app(JWT_SECRET_KEY="another-apps-signing-key-" + "x" * 40)

    response = other.test_client().get(f"/users/{user.id}", headers=headers)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json == {
        "error": "Invalid token: Signature verification failed",
        "status_code": 401,
    }


def test_a_forged_copy_of_a_remembered_token_is_verified_in_full(client, user, login):
    headers = login(user)
    assert client.get(f"/users/{user.id}", headers=headers).status_code == HTTPStatus.OK
    header, payload, signature = headers["Authorization"].removeprefix("Bearer ").split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"

    response = client.get(f"/users/{user.id}", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_time_claims_follow_pyjwt_bounds():
    now = 1_000_000.0
    assert within_time_claims({"exp": now + 1, "nbf": now, "iat": now}, now, 0)
    assert not within_time_claims({"exp": now}, now, 0)  # exp is exclusive
    assert within_time_claims({"exp": now}, now, 5)  # unless within the leeway
    assert not within_time_claims({"nbf": now + 1}, now, 0)
    assert not within_time_claims({"iat": now + 1}, now, 0)
    assert within_time_claims({}, now, 0)


def test_the_cache_keeps_the_most_recently_used_tokens_and_hands_out_copies():
    cache = VerifiedTokens(size=2)
    later = time.time() + 60
    for token in ("a", "b"):
        cache.put(token, {"exp": later, "sub": token})
    assert cache.get("a", 0) is not None  # "a" is now the most recent
    cache.put("c", {"exp": later, "sub": "c"})

    assert (len(cache), cache.get("b", 0)) == (2, None)
    copy = cache.get("a", 0)
    copy["sub"] = "changed"
    assert cache.get("a", 0)["sub"] == "a"


def test_an_expired_entry_is_dropped_on_lookup():
    cache = VerifiedTokens()
    cache.put("old", {"exp": time.time() - 1})

    assert (cache.get("old", 0), len(cache)) == (None, 0)
