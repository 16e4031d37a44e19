"""User controllers: query parsing, serialisation and pagination headers."""

from http import HTTPStatus

import pytest
from marshmallow import ValidationError

from app.modules.users import controller
from app.modules.users.model import MAX_PER_PAGE, PageArgsSchema


def test_create_user_dumps_the_new_user_without_secrets(app):
    body = {"email": "jane@example.com", "name": "Jane Smith", "age": 30}
    with app.test_request_context(json=body):
        response, status = controller.create_user()

    assert status == HTTPStatus.CREATED
    assert response.json == {"id": response.json["id"], **body}


def test_list_users_sets_total_and_links(app, make_user):
    for _ in range(5):
        make_user()
    with app.test_request_context("/users?page=2&per_page=2"):
        response = controller.list_users()

    assert len(response.json) == 2
    assert response.headers["X-Total-Count"] == "5"
    assert response.headers["Link"] == (
        '<http://localhost/users?page=1&per_page=2>; rel="prev", '
        '<http://localhost/users?page=3&per_page=2>; rel="next"'
    )


def test_list_users_single_page_has_no_link_header(app, make_user):
    make_user()
    with app.test_request_context("/users"):
        response = controller.list_users()

    assert "Link" not in response.headers
    assert response.headers["X-Total-Count"] == "1"


def test_per_page_above_cap_is_clamped():
    assert PageArgsSchema().load({"per_page": "500"}) == {"page": 1, "per_page": MAX_PER_PAGE}


@pytest.mark.parametrize(
    "query", ["page=0", "page=abc", "per_page=0", "per_page=-5", "per_page=x", "page=1.5"]
)
def test_bad_pagination_values_are_rejected(app, query):
    with app.test_request_context(f"/users?{query}"), pytest.raises(ValidationError):
        controller.list_users()
