"""/users/me/api-keys for everyone and /users/<id>/api-keys for admins: personal API keys,
and how a key in the X-API-Key header becomes its user (`user_of_key`)."""

from http import HTTPStatus
from typing import Any

from flask import request

from app.core.api import Blueprint, current_user
from app.users.apikeys import service
from app.users.apikeys.models import ApiKey
from app.users.apikeys.schemas import ApiKeyCreateSchema, ApiKeySchema, NewApiKeySchema
from app.users.models import Actor

bp = Blueprint("api_keys", __name__, url_prefix="/users", description="Personal API keys.")


def user_of_key(key: str) -> Actor | None:
    """The user an API key acts as, or None (Api.api_key_user_loader in app/core/api.py)."""
    return service.authenticate(key, request.remote_addr)


@bp.post("/me/api-keys")
@bp.limit("api_keys")
@bp.session_required
@bp.arguments(ApiKeyCreateSchema)
@bp.response(HTTPStatus.CREATED, NewApiKeySchema)
def create_key(data: dict[str, Any]) -> dict[str, Any]:
    """Create a personal API key; the key is in this answer only.

    It acts as you, with your role at the time of each request, until you revoke it or it
    expires. It cannot change your password, two-factor sign-in or keys.
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
