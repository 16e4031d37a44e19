"""HTTP side of the users module: parse, call the service, shape the response."""

from http import HTTPStatus
from urllib.parse import urlencode

from flask import Response, jsonify, request
from flask_jwt_extended import get_current_user

from app.modules.users import service
from app.modules.users.model import (
    PageArgsSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)

_page_args = PageArgsSchema()
_create = UserCreateSchema()
_update = UserUpdateSchema()
_user = UserSchema()
_users = UserSchema(many=True)


def list_users() -> Response:
    args = _page_args.load(request.args)
    page = service.list_users(**args)
    response = jsonify(_users.dump(page.items))
    response.headers["X-Total-Count"] = str(page.total)
    links = _pagination_links(page)
    if links:
        response.headers["Link"] = links
    return response


def create_user() -> tuple[Response, int]:
    data = _create.load(request.get_json())
    user = service.create_user(**data)
    return jsonify(_user.dump(user)), HTTPStatus.CREATED


def get_user(user_id: int) -> Response:
    return jsonify(_user.dump(service.get_visible_user(get_current_user(), user_id)))


def get_me() -> Response:
    return jsonify(_user.dump(get_current_user()))


def update_user(user_id: int) -> Response:
    changes = _update.load(request.get_json())
    return jsonify(_user.dump(service.update_user(get_current_user(), user_id, changes)))


def delete_user(user_id: int) -> tuple[str, int]:
    service.delete_user(get_current_user(), user_id)
    return "", HTTPStatus.NO_CONTENT


def _pagination_links(page: service.UserPage) -> str:
    def link(number: int, rel: str) -> str:
        query = urlencode({"page": number, "per_page": page.per_page})
        return f'<{request.base_url}?{query}>; rel="{rel}"'

    rels = []
    if page.has_prev:
        rels.append(link(page.page - 1, "prev"))
    if page.has_next:
        rels.append(link(page.page + 1, "next"))
    return ", ".join(rels)
