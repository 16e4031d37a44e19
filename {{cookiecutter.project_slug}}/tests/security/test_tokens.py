"""Token lifecycle: revocation, rotation, theft detection, account changes, forged tokens."""

import threading
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import jwt
import pytest
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import delete, update

from app.auth import service as auth_service
from app.auth.models import AuthSession
from app.core.database import utcnow
from app.extensions import db
from app.users.models import User
from tests.helpers import PASSWORD, plant_refresh_cookie, refresh_cookie


def login_body(user):
    return {"email": user.email, "password": PASSWORD}


def test_logout_revokes_the_access_token_at_once(client, user, login):
    headers = login(user)

    assert client.post("/auth/logout", headers=headers).status_code == HTTPStatus.OK
    after = client.get(f"/users/{user.id}", headers=headers)

    assert after.status_code == HTTPStatus.UNAUTHORIZED
    assert after.json == {"error": "Token has been revoked", "status_code": 401}


def test_logout_revokes_the_refresh_token_of_the_same_login(client, app, user, login):
    headers = login(user)
    cookie = refresh_cookie(client, app).value
    client.post("/auth/logout", headers=headers)

    plant_refresh_cookie(client, app, cookie)

    assert client.post("/auth/refresh").status_code == HTTPStatus.UNAUTHORIZED


def test_logout_clears_the_cookie_with_the_attributes_it_was_set_with(make_app, user):
    app = make_app(JWT_COOKIE_SECURE=True, JWT_REFRESH_COOKIE_NAME="__Secure-refresh_token")
    client = app.test_client()
    login = client.post("/auth/login", json=login_body(user), base_url="https://localhost")
    token = login.json["access_token"]

    logout = client.post(
        "/auth/logout", headers={"Authorization": f"Bearer {token}"}, base_url="https://localhost"
    )

    def attributes(header: str) -> set[str]:
        parts = {part.strip() for part in header.split(";")[1:]}
        return {p for p in parts if not p.startswith(("Expires=", "Max-Age="))}

    set_cookie = next(h for h in login.headers.getlist("Set-Cookie") if "refresh_token=" in h)
    cleared = next(h for h in logout.headers.getlist("Set-Cookie") if "refresh_token=" in h)
    assert cleared.startswith("__Secure-refresh_token=;")
    assert (
        attributes(cleared)
        == attributes(set_cookie)
        == {
            "Secure",
            "HttpOnly",
            "Path=/auth",
            "SameSite=Strict",
        }
    )


def test_refresh_rotates_the_refresh_token(client, app, user):
    client.post("/auth/login", json=login_body(user))
    first = refresh_cookie(client, app).value

    response = client.post("/auth/refresh")

    assert response.status_code == HTTPStatus.OK
    assert refresh_cookie(client, app).value != first
    assert decode_token(refresh_cookie(client, app).value)["jti"] != decode_token(first)["jti"]


def test_replayed_refresh_token_revokes_the_whole_login(client, app, user):
    client.post("/auth/login", json=login_body(user))
    stolen = refresh_cookie(client, app).value
    rotated = client.post("/auth/refresh")
    legitimate_access = rotated.json["access_token"]
    legitimate_refresh = refresh_cookie(client, app).value

    plant_refresh_cookie(client, app, stolen)
    replay = client.post("/auth/refresh")

    assert replay.status_code == HTTPStatus.UNAUTHORIZED
    assert replay.json["error"].startswith("Refresh token has already been used")
    plant_refresh_cookie(client, app, legitimate_refresh)
    assert client.post("/auth/refresh").status_code == HTTPStatus.UNAUTHORIZED
    headers = {"Authorization": f"Bearer {legitimate_access}"}
    assert client.get(f"/users/{user.id}", headers=headers).status_code == 401


def test_two_concurrent_refreshes_with_one_token_let_at_most_one_through(app, user):
    first = app.test_client()
    first.post("/auth/login", json=login_body(user))
    cookie = refresh_cookie(first, app).value
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        plant_refresh_cookie(client, app, cookie)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def refresh(client) -> None:
        barrier.wait()
        statuses.append(client.post("/auth/refresh").status_code)

    threads = [threading.Thread(target=refresh, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses).count(HTTPStatus.OK) <= 1
    assert all(status in (HTTPStatus.OK, HTTPStatus.UNAUTHORIZED) for status in statuses)


def test_an_access_token_outliving_its_session_is_refused(client, user, user_headers):
    db.session.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    response = client.get(f"/users/{user.id}", headers=user_headers)

    assert response.json == {"error": "Token has been revoked", "status_code": 401}


def test_tokens_of_a_deleted_user_are_refused(client, user, user_headers):
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.commit()

    response = client.get(f"/users/{user.id}", headers=user_headers)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json["status_code"] == HTTPStatus.UNAUTHORIZED


def test_tokens_of_a_deactivated_user_are_refused(client, user, user_headers):
    user.is_active = False
    db.session.commit()

    response = client.get(f"/users/{user.id}", headers=user_headers)

    assert response.json == {"error": "User is unknown or inactive", "status_code": 401}


def test_tokens_issued_before_a_password_change_are_refused(client, user, user_headers):
    auth_service.make_admin(user.email, user.name, "a completely new password")

    response = client.get(f"/users/{user.id}", headers=user_headers)

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def _claims_of(headers):
    return decode_token(headers["Authorization"].removeprefix("Bearer "))


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda app, claims: jwt.encode(claims, key=None, algorithm="none"), id="alg-none"
        ),
        pytest.param(
            lambda app, claims: jwt.encode(claims, app.config["JWT_SECRET_KEY"], "HS512"),
            id="other-hmac",
        ),
        pytest.param(lambda app, claims: jwt.encode(claims, "x" * 64, "HS256"), id="wrong-key"),
        pytest.param(
            lambda app, claims: (
                jwt.encode(claims, app.config["JWT_SECRET_KEY"], "HS256")[:-3] + "AAA"
            ),
            id="tampered-signature",
        ),
        pytest.param(
            lambda app, claims: jwt.encode(
                claims | {"exp": datetime.now(UTC) - timedelta(seconds=5)},
                app.config["JWT_SECRET_KEY"],
                "HS256",
            ),
            id="expired",
        ),
        pytest.param(
            lambda app, claims: jwt.encode(
                claims | {"type": "refresh"}, app.config["JWT_SECRET_KEY"], "HS256"
            ),
            id="refresh-as-access",
        ),
    ],
)
def test_forged_or_misused_access_tokens_are_401(client, app, user, user_headers, forge):
    token = forge(app, _claims_of(user_headers))

    response = client.get(f"/users/{user.id}", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert set(response.json) == {"error", "status_code"}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param(
            {"exp": datetime.now(UTC) - timedelta(seconds=5)}, "Token has expired", id="expired"
        ),
        pytest.param(
            {"nbf": datetime.now(UTC) + timedelta(minutes=5)},
            "Invalid token: The token is not yet valid (nbf)",
            id="not-yet-valid",
        ),
        pytest.param(
            {"type": "refresh"},
            "Invalid token: Only non-refresh tokens are allowed",
            id="refresh-token",
        ),
        pytest.param(
            {"exp": None}, 'Invalid token: Token is missing the "exp" claim', id="no-expiry"
        ),
        pytest.param({"sub": 1}, "Invalid token: Subject must be a string", id="non-string-sub"),
    ],
)
def test_access_token_claims_are_checked_with_the_library_messages(
    client, app, user, user_headers, change, error
):
    claims = {k: v for k, v in (_claims_of(user_headers) | change).items() if v is not None}
    token = jwt.encode(claims, app.config["JWT_SECRET_KEY"], "HS256")

    response = client.get(f"/users/{user.id}", headers={"Authorization": f"Bearer {token}"})

    assert response.json == {"error": error, "status_code": 401}


@pytest.mark.parametrize(
    ("header", "error"),
    [
        pytest.param(
            None, "Missing or invalid credentials: Missing Authorization Header", id="none"
        ),
        pytest.param(
            "Basic dXNlcjpwYXNz",
            "Missing or invalid credentials: Missing 'Bearer' type in 'Authorization' header. "
            "Expected 'Authorization: Bearer <JWT>'",
            id="basic",
        ),
        pytest.param(
            "Bearer",
            "Invalid token: Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
            id="no-token",
        ),
        pytest.param(
            "Bearer two tokens",
            "Invalid token: Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
            id="two-words",
        ),
        pytest.param("Bearer not.a.jwt", "Invalid token: Invalid header padding", id="garbage"),
    ],
)
def test_malformed_authorization_headers_are_401(client, user, header, error):
    headers = {} if header is None else {"Authorization": header}

    response = client.get(f"/users/{user.id}", headers=headers)

    assert response.json == {"error": error, "status_code": 401}


def test_logout_by_header_revokes_only_its_own_session(client, user, login):
    first, second = login(user), login(user)

    assert client.post("/auth/logout", headers=first).status_code == HTTPStatus.OK

    assert client.get(f"/users/{user.id}", headers=first).status_code == HTTPStatus.UNAUTHORIZED
    assert client.get(f"/users/{user.id}", headers=second).status_code == HTTPStatus.OK


def test_logout_by_cookie_acts_as_the_cookie_user_after_a_header_request(
    client, user, admin, login
):
    admin_headers = login(admin)
    user_headers = login(user)  # the client's refresh cookie is now the user's
    assert client.get("/users/me", headers=admin_headers).json["id"] == admin.id

    assert client.post("/auth/logout").status_code == HTTPStatus.OK

    assert client.get("/users/me", headers=user_headers).status_code == HTTPStatus.UNAUTHORIZED
    assert client.get("/users/me", headers=admin_headers).status_code == HTTPStatus.OK


def test_access_token_in_the_refresh_cookie_is_401(client, app, user, user_headers):
    plant_refresh_cookie(client, app, user_headers["Authorization"].removeprefix("Bearer "))

    response = client.post("/auth/refresh")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json["status_code"] == HTTPStatus.UNAUTHORIZED


def test_token_without_a_session_is_401(client, user):
    token = create_access_token(str(user.id))

    response = client.get(f"/users/{user.id}", headers={"Authorization": f"Bearer {token}"})

    assert response.json == {"error": "Token has been revoked", "status_code": 401}


def test_refresh_token_never_issued_is_401(client, app, user, user_headers):
    session_id = _claims_of(user_headers)["sid"]
    plant_refresh_cookie(
        client, app, create_refresh_token(str(user.id), additional_claims={"sid": session_id})
    )

    assert client.post("/auth/refresh").status_code == HTTPStatus.UNAUTHORIZED


def test_production_refresh_cookie_is_secure_strict_and_scoped(make_app, user):
    app = make_app(JWT_COOKIE_SECURE=True, JWT_REFRESH_COOKIE_NAME="__Secure-refresh_token")

    response = app.test_client().post(
        "/auth/login", json=login_body(user), base_url="https://localhost"
    )

    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "refresh_token=" in h)
    assert cookie.startswith("__Secure-refresh_token=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/auth"):
        assert attribute in cookie.split("; ")
