"""User endpoints: URL, method, rate limit and role requirement, then the controller."""

from flask import Blueprint, Response, current_app

from app.database.schema import ROLE_ADMIN
from app.extensions import limiter
from app.modules.users import controller
from app.utils.auth import login_required, role_required

bp = Blueprint("users", __name__, url_prefix="/users")

users_limit = limiter.limit(lambda: current_app.config["RATELIMIT_USERS"])


@bp.get("")
@users_limit
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


# Ids are 32-bit columns: a larger number is a 404 here, not an overflow in the database (500).
@bp.get("/<int(max=2147483647):user_id>")
@users_limit
@login_required
def get_user(user_id: int) -> Response:
    """Show one user: your own account, or any account for admins."""
    return controller.get_user(user_id)
