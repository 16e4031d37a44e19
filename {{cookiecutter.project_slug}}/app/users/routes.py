"""/users: accounts, as their owners and admins see them."""

from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from flask import request

from app.core.api import Blueprint, current_user
from app.users import service
from app.users.models import Actor, User
from app.users.schemas import PageArgsSchema, UserCreateSchema, UserSchema, UserUpdateSchema

bp = Blueprint("users", __name__, url_prefix="/users", description="User accounts.")

PAGE_HEADERS = {
    "X-Total-Count": {
        "description": "How many users there are over all pages.",
        "schema": {"type": "integer"},
        "required": True,
    },
    "Link": {
        "description": 'RFC 8288 links to the rel="prev" and rel="next" pages, if any.',
        "schema": {"type": "string"},
    },
}


@bp.get("")
@bp.limit("users")
@bp.admin_required
@bp.arguments(PageArgsSchema, location="query")
@bp.response(HTTPStatus.OK, UserSchema(many=True), headers=PAGE_HEADERS)
def list_users(args: dict[str, int]) -> tuple[list[User], int, dict[str, str]]:
    """List users, one page at a time (admins only).

    A per_page above 100 is lowered to 100.
    """
    page = service.list_users(**args)
    headers = {"X-Total-Count": str(page.total)}
    query = {"per_page": page.per_page}
    links = [
        f'<{request.base_url}?{urlencode({"page": number, **query})}>; rel="{rel}"'
        for number, rel, wanted in (
            (page.page - 1, "prev", page.page > 1),
            (page.page + 1, "next", page.has_next),
        )
        if wanted
    ]
    if links:
        headers["Link"] = ", ".join(links)
    return page.items, HTTPStatus.OK, headers


@bp.post("")
@bp.limit("users_create")
@bp.admin_required
@bp.arguments(UserCreateSchema)
@bp.response(HTTPStatus.CREATED, UserSchema)
@bp.errors(409)
def create_user(data: dict[str, Any]) -> User:
    """Create a user (admins only).

    Without a password the account exists but cannot log in.
    """
    return service.create_user(**data, actor=current_user)


@bp.get("/me")
@bp.limit("users")
@bp.login_required
@bp.response(HTTPStatus.OK, UserSchema)
def get_me() -> Actor:
    """Show your own account."""
    return current_user


@bp.get("/<int:user_id>")
@bp.limit("users")
@bp.login_required
@bp.response(HTTPStatus.OK, UserSchema)
@bp.errors(404)
def get_user(user_id: int) -> Actor | User:
    """Show one user: your own account, or any account for admins."""
    return service.get_visible_user(current_user, user_id)


@bp.patch("/<int:user_id>")
@bp.limit("users")
@bp.login_required
@bp.arguments(UserUpdateSchema)
@bp.response(HTTPStatus.OK, UserSchema)
@bp.errors(403, 404, 409)
def update_user(changes: dict[str, Any], user_id: int) -> User:
    """Change your name or age; admins also change anyone's role and active flag.

    A field you may not change is a 403, an unknown one a 400. Deactivating an account revokes
    its sessions; the last active admin cannot be demoted or deactivated (409), and admins
    cannot demote or deactivate themselves (403).
    """
    return service.update_user(current_user, user_id, changes)


@bp.delete("/<int:user_id>")
@bp.limit("users")
@bp.admin_required
@bp.response(HTTPStatus.NO_CONTENT)
@bp.errors(404, 409)
def delete_user(user_id: int) -> None:
    """Delete a user with its sessions and mailed links (admins only).

    The last active admin cannot be deleted (409); nor can admins delete themselves (403).
    """
    service.delete_user(current_user, user_id)
