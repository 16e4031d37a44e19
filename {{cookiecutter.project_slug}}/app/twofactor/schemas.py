"""What a client sends to /auth/2fa and /auth/login/2fa, and what it gets back."""

from marshmallow import Schema, fields, validate

from app.core.fields import Password

# A six-digit code, or a recovery code (16 hex digits, dashes and spaces allowed).
CODE_LENGTH = validate.Length(min=1, max=64)
CHALLENGE_LENGTH = validate.Length(min=1, max=128)
CODE = {"description": "A six-digit code from the authenticator, or an unused recovery code."}


class PasswordSchema(Schema):
    password = Password(required=True, validate=validate.Length(min=1, max=1024))


class CodeSchema(Schema):
    code = fields.String(
        required=True,
        validate=CODE_LENGTH,
        metadata={"description": "A six-digit code from the authenticator."},
    )


class PasswordAndCodeSchema(PasswordSchema):
    code = fields.String(required=True, validate=CODE_LENGTH, metadata=CODE)


class SecondStepSchema(Schema):
    challenge = fields.String(
        required=True,
        validate=CHALLENGE_LENGTH,
        metadata={"description": "The `challenge` of the login's answer."},
    )
    code = fields.String(required=True, validate=CODE_LENGTH, metadata=CODE)


class EnrolmentSchema(Schema):
    secret = fields.String(
        required=True, metadata={"description": "The base32 secret, to type in by hand."}
    )
    otpauth_uri = fields.String(
        required=True, metadata={"description": "The otpauth:// URI an authenticator app reads."}
    )
    qr_svg = fields.String(required=True, metadata={"description": "The URI as a QR code (SVG)."})


class RecoveryCodesSchema(Schema):
    recovery_codes = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Ten single-use codes, shown this once: store them safely."},
    )


class StatusSchema(Schema):
    enabled = fields.Boolean(required=True)
    recovery_codes_left = fields.Integer(required=True)


class LoginChallengeSchema(Schema):
    """POST /auth/login's answer for an account with two-factor sign-in: no token yet."""

    two_factor_required = fields.Boolean(required=True, metadata={"description": "Always true."})
    challenge = fields.String(
        required=True,
        metadata={"description": "Send it with a code to /auth/login/2fa; it works once."},
    )
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds the challenge is valid for."}
    )
