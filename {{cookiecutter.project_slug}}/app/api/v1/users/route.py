"""User endpoints: URL, method, rate limit and role requirement, then the controller."""

from flask import Blueprint, Response, current_app

from app.database.schema import ROLE_ADMIN
from app.extensions import limiter
from app.modules.users import controller
from app.utils.auth import login_required, role_required

bp = Blueprint("users", __name__, url_prefix="/users")

# RATELIMIT_USERS, counted per route, for every route here that declares no limit of its own.
# A blueprint limit is checked once, before the request; a route decorator would make the
# limiter resolve the request's limits a second time.
limiter.limit(lambda: current_app.config["RATELIMIT_USERS"])(bp)


@bp.get("")
@role_required(ROLE_ADMIN)
def list_users() -> Response:
    """List users, one page at a time (admins only)."""
    return controller.list_users()


@bp.post("")
@limiter.limit(lambda: current_app.config["RATELIMIT_USERS_CREATE"])
@role_required(ROLE_ADMIN)
def create_user() -> tuple[Response, int]:
    """Create a user (admins only)."""
    return controller.create_user()


@bp.get("/me")
@login_required
def get_me() -> Response:
    """Show your own account."""
    return controller.get_me()


# Ids are 32-bit columns: a larger number is a 404 here, not an overflow in the database (500).
USER_ID = "/<int(max=2147483647):user_id>"


@bp.get(USER_ID)
@login_required
def get_user(user_id: int) -> Response:
    """Show one user: your own account, or any account for admins."""
    return controller.get_user(user_id)


@bp.patch(USER_ID)
@login_required
def update_user(user_id: int) -> Response:
    """Change your name or age; admins also change anyone's role and active flag."""
    return controller.update_user(user_id)


@bp.delete(USER_ID)
@role_required(ROLE_ADMIN)
def delete_user(user_id: int) -> tuple[str, int]:
    """Delete a user with its sessions and tokens (admins only)."""
    return controller.delete_user(user_id)
