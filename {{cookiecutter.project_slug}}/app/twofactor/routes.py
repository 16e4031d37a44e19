"""/auth/2fa: set up, turn on and turn off two-factor sign-in, and new recovery codes.

The login's second step, which opens a session, is /auth/login/2fa (login.py).
"""

from http import HTTPStatus

from flask import Response, current_app

from app.core.api import Blueprint, current_user
from app.twofactor import service
from app.twofactor.errors import TwoFactorRequired
from app.twofactor.schemas import (
    CodeSchema,
    EnrolmentSchema,
    PasswordAndCodeSchema,
    PasswordSchema,
    RecoveryCodesSchema,
    StatusSchema,
)
from app.twofactor.service import Status

bp = Blueprint(
    "twofactor", __name__, url_prefix="/auth/2fa", description="Two-factor sign-in (TOTP)."
)


@bp.after_request
def never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@bp.limit("default")
@bp.session_required
@bp.response(HTTPStatus.OK, StatusSchema)
def status() -> Status:
    """Show whether two-factor sign-in is on, and how many recovery codes are left."""
    return service.status(current_user.id)


@bp.post("/setup")
@bp.limit("two_factor")
@bp.session_required
@bp.arguments(PasswordSchema)
@bp.response(HTTPStatus.OK, EnrolmentSchema)
@bp.errors(409)
def setup(data: dict[str, str]) -> dict[str, str]:
    """Start setting up an authenticator: a new secret, as text, otpauth:// URI and QR code.

    Nothing changes at login until /auth/2fa/enable confirms a code; a new setup replaces an
    unconfirmed one. A wrong password is a 400; 409 while two-factor sign-in is on.
    """
    enrolment = service.start_setup(current_user.id, data["password"])
    return {"secret": enrolment.secret, "otpauth_uri": enrolment.uri, "qr_svg": enrolment.qr_svg}


@bp.post("/enable")
@bp.limit("two_factor")
@bp.session_required
@bp.arguments(CodeSchema)
@bp.response(HTTPStatus.OK, RecoveryCodesSchema)
@bp.errors(409)
def enable(data: dict[str, str]) -> dict[str, list[str]]:
    """Turn two-factor sign-in on with a current code; get ten recovery codes, shown once.

    A wrong or already used code is a 400; 409 without a setup, or when it is on already.
    """
    return {"recovery_codes": service.enable(current_user.id, data["code"])}


@bp.post("/disable")
@bp.limit("two_factor")
@bp.session_required
@bp.arguments(PasswordAndCodeSchema)
@bp.response(HTTPStatus.NO_CONTENT)
@bp.errors(409)
def disable(data: dict[str, str]) -> None:
    """Turn two-factor sign-in off with the password and a code or recovery code.

    Every session of the account ends, this one too. A wrong password or code gets one 400.
    """
    service.disable(current_user.id, data["password"], data["code"])


@bp.post("/recovery-codes")
@bp.limit("two_factor")
@bp.session_required
@bp.arguments(PasswordAndCodeSchema)
@bp.response(HTTPStatus.OK, RecoveryCodesSchema)
@bp.errors(409)
def regenerate_recovery_codes(data: dict[str, str]) -> dict[str, list[str]]:
    """Replace the recovery codes with ten new ones, shown once; the old ones stop working."""
    codes = service.regenerate_recovery_codes(current_user.id, data["password"], data["code"])
    return {"recovery_codes": codes}


@bp.delete("/users/<int:user_id>")
@bp.limit("default")
@bp.admin_required
@bp.response(HTTPStatus.NO_CONTENT)
@bp.errors(404, 409)
def reset(user_id: int) -> None:
    """Turn off another account's two-factor sign-in, for an owner who lost both the
    authenticator and the recovery codes (admins only); its sessions end."""
    service.reset(current_user.id, user_id)


def enrolled_if_required(user_id: int) -> None:
    """With REQUIRE_2FA_FOR_ADMINS on, refuse admin routes to admins without two-factor."""
    if current_app.config["REQUIRE_2FA_FOR_ADMINS"] and not service.is_enabled(user_id):
        raise TwoFactorRequired()
