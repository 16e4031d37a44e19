"""/users/me/api-keys for everyone and /users/<id>/api-keys for admins: personal API keys,
and the X-API-Key header, a credential any signed-in route takes (`CREDENTIAL`)."""

from http import HTTPStatus
from typing import Any

from flask import request

from app.apikeys import service
from app.apikeys.errors import ApiKeyNotAllowed, InvalidApiKey
from app.apikeys.models import ApiKey
from app.apikeys.schemas import ApiKeyCreateSchema, ApiKeySchema, NewApiKeySchema
from app.core.api import Blueprint, Credential, current_user
from app.users.models import Actor

bp = Blueprint("api_keys", __name__, url_prefix="/users", description="Personal API keys.")


HEADER = "X-API-Key"


def user_of_key(key: str, allowed: bool) -> Actor:
    """The user an API key acts as; a 401 for a key that is not one, a 403 where keys may not
    be used (managing the account)."""
    if not allowed:
        raise ApiKeyNotAllowed()
    user = service.authenticate(key, request.remote_addr)
    if user is None:
        raise InvalidApiKey()
    return user


CREDENTIAL = Credential(
    scheme="apiKey",
    header=HEADER,
    doc={
        "type": "apiKey",
        "in": "header",
        "name": HEADER,
        "description": "A personal API key (POST /users/me/api-keys).",
    },
    load=user_of_key,
)


@bp.post("/me/api-keys")
@bp.limit("api_keys")
@bp.session_required
@bp.arguments(ApiKeyCreateSchema)
@bp.response(HTTPStatus.CREATED, NewApiKeySchema)
def create_key(data: dict[str, Any]) -> dict[str, Any]:
    """Create a personal API key; the key is in this answer only.

    It acts as you, with your role at the time of each request, until you revoke it or it
    expires. It cannot manage the account: its password, its keys, its other credentials.
    """
    created = service.create_key(current_user.id, **data)
    shown = ("id", "name", "prefix", "created_at", "expires_at", "last_used_at")
    return {name: getattr(created.key, name) for name in shown} | {"key": created.secret}


@bp.get("/me/api-keys")
@bp.limit("users")
@bp.session_required
@bp.response(HTTPStatus.OK, ApiKeySchema(many=True))
def list_own_keys() -> list[ApiKey]:
    """List your API keys that are not revoked, newest first."""
    return service.list_keys(current_user.id)


@bp.delete("/me/api-keys/<int:key_id>")
@bp.limit("users")
@bp.session_required
@bp.response(HTTPStatus.NO_CONTENT)
@bp.errors(404)
def revoke_own_key(key_id: int) -> None:
    """Revoke one of your API keys: it stops working at once."""
    service.revoke_key(current_user.id, current_user.id, key_id)


@bp.get("/<int:user_id>/api-keys")
@bp.limit("users")
@bp.admin_required
@bp.response(HTTPStatus.OK, ApiKeySchema(many=True))
@bp.errors(404)
def list_keys(user_id: int) -> list[ApiKey]:
    """List a user's API keys that are not revoked (admins only)."""
    return service.list_keys(user_id)


@bp.delete("/<int:user_id>/api-keys/<int:key_id>")
@bp.limit("users")
@bp.admin_required
@bp.response(HTTPStatus.NO_CONTENT)
@bp.errors(404)
def revoke_key(user_id: int, key_id: int) -> None:
    """Revoke a user's API key (admins only)."""
    service.revoke_key(current_user.id, user_id, key_id)
