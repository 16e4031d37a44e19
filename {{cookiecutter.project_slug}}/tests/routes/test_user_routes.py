"""User endpoints over HTTP: roles, ownership, pagination and limits."""

from http import HTTPStatus

from app.users import repository
from app.users.models import ROLE_ADMIN


def test_list_users_as_admin_is_an_array_of_users(client, admin, admin_headers, make_user):
    other = make_user(name="Jane", age=None)

    response = client.get("/users", headers=admin_headers)

    assert response.status_code == HTTPStatus.OK
    assert response.json == [
        {"id": admin.id, "email": admin.email, "name": "Admin", "age": 30},
        {"id": other.id, "email": other.email, "name": "Jane", "age": None},
    ]
    assert response.headers["X-Total-Count"] == "2"


def test_list_users_as_plain_user_is_403(client, user_headers):
    response = client.get("/users", headers=user_headers)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json == {
        "error": "You do not have permission to perform this action",
        "status_code": 403,
    }


def test_list_users_without_token_is_401(client):
    response = client.get("/users")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json["status_code"] == HTTPStatus.UNAUTHORIZED


def test_list_users_with_bad_page_is_400(client, admin_headers):
    response = client.get("/users?per_page=0", headers=admin_headers)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json["details"] == {"per_page": ["Must be greater than or equal to 1."]}


def test_list_users_second_page_links_back(client, admin_headers, make_user):
    for _ in range(3):
        make_user()

    response = client.get("/users?page=2&per_page=2", headers=admin_headers)

    assert len(response.json) == 2
    assert response.headers["Link"] == '<http://localhost/users?page=1&per_page=2>; rel="prev"'


def test_create_user_as_admin_is_201(client, admin_headers):
    body = {"email": "newuser@example.com", "name": "Jane Smith", "age": 30}

    response = client.post("/users", json=body, headers=admin_headers)

    assert response.status_code == HTTPStatus.CREATED
    assert response.json == {"id": repository.get_by_email("newuser@example.com").id, **body}


def test_create_user_with_password_can_log_in(client, admin_headers):
    body = {"email": "pw@example.com", "name": "Pat", "password": "password-123"}
    client.post("/users", json=body, headers=admin_headers)

    response = client.post("/auth/login", json={"email": body["email"], "password": "password-123"})

    assert response.status_code == HTTPStatus.OK


def test_create_user_as_plain_user_is_403_and_creates_nothing(client, user_headers):
    body = {"email": "sneaky@example.com", "name": "Sneaky"}

    response = client.post("/users", json=body, headers=user_headers)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert repository.get_by_email("sneaky@example.com") is None


def test_create_user_with_duplicate_email_is_409(client, admin, admin_headers):
    body = {"email": admin.email.upper(), "name": "Copy"}

    response = client.post("/users", json=body, headers=admin_headers)

    assert response.status_code == HTTPStatus.CONFLICT


def test_create_user_with_role_field_is_400(client, admin_headers):
    body = {"email": "r@example.com", "name": "R", "role": ROLE_ADMIN}

    response = client.post("/users", json=body, headers=admin_headers)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json["details"] == {"role": ["Unknown field."]}


def test_create_user_is_limited_to_ten_a_minute(client, admin_headers):
    statuses = [
        client.post(
            "/users", json={"email": f"c{i}@example.com", "name": "C"}, headers=admin_headers
        ).status_code
        for i in range(11)
    ]

    assert statuses == [HTTPStatus.CREATED] * 10 + [HTTPStatus.TOO_MANY_REQUESTS]


def test_get_own_user_is_200(client, user, user_headers):
    response = client.get(f"/users/{user.id}", headers=user_headers)

    assert response.status_code == HTTPStatus.OK
    assert response.json == {"id": user.id, "email": user.email, "name": user.name, "age": 30}


def test_get_other_user_as_plain_user_is_404(client, admin, user_headers):
    response = client.get(f"/users/{admin.id}", headers=user_headers)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json == {"error": "User not found", "status_code": 404}


def test_get_any_user_as_admin_is_200(client, user, admin_headers):
    response = client.get(f"/users/{user.id}", headers=admin_headers)

    assert response.json["email"] == user.email


def test_get_missing_user_as_admin_is_404(client, admin_headers):
    response = client.get("/users/999999", headers=admin_headers)

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_user_endpoints_are_limited_to_thirty_a_minute(client, user, user_headers):
    statuses = {
        client.get(f"/users/{user.id}", headers=user_headers).status_code for _ in range(30)
    }

    extra = client.get(f"/users/{user.id}", headers=user_headers)

    assert statuses == {HTTPStatus.OK}
    assert extra.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_each_users_route_counts_on_its_own_budget(client, admin, admin_headers):
    for _ in range(30):
        client.get(f"/users/{admin.id}", headers=admin_headers)
    assert (
        client.get(f"/users/{admin.id}", headers=admin_headers).status_code
        == HTTPStatus.TOO_MANY_REQUESTS
    )

    listed = client.get("/users", headers=admin_headers)
    created = client.post(
        "/users", json={"email": "n@example.com", "name": "N"}, headers=admin_headers
    )

    assert (listed.status_code, created.status_code) == (HTTPStatus.OK, HTTPStatus.CREATED)


def test_creating_users_does_not_spend_the_reading_budget(client, admin, admin_headers):
    for i in range(10):
        client.post(
            "/users", json={"email": f"r{i}@example.com", "name": "R"}, headers=admin_headers
        )

    statuses = {
        client.get(f"/users/{admin.id}", headers=admin_headers).status_code for _ in range(21)
    }

    assert statuses == {HTTPStatus.OK}
