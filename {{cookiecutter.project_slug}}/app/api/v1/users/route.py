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


# Ids are 32-bit columns: a larger number is a 404 here, not an overflow in the database (500).
@bp.get("/<int(max=2147483647):user_id>")
@login_required
def get_user(user_id: int) -> Response:
    """Show one user: your own account, or any account for admins."""
    return controller.get_user(user_id)
