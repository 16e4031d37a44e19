"""Schemas for password change, password reset and e-mail verification."""

from marshmallow import Schema, fields, validate

from app.modules.users.model import PASSWORD_LENGTH
from app.utils.fields import NormalizedEmail, Password

# secrets.token_urlsafe(32) is 43 characters; anything much longer is not one of ours.
TOKEN_LENGTH = validate.Length(min=1, max=128)


class PasswordChangeSchema(Schema):
    """POST /auth/password."""

    current_password = Password(required=True, validate=validate.Length(min=1, max=1024))
    new_password = Password(required=True, validate=PASSWORD_LENGTH)


class EmailSchema(Schema):
    """POST /auth/password-reset and /auth/verify-email/resend."""

    email = NormalizedEmail(required=True, validate=validate.Length(max=254))


class TokenSchema(Schema):
    """POST /auth/verify-email/confirm: the token from the mailed link."""

    token = fields.String(required=True, validate=TOKEN_LENGTH)


class PasswordResetSchema(TokenSchema):
    """POST /auth/password-reset/confirm."""

    new_password = Password(required=True, validate=PASSWORD_LENGTH)
