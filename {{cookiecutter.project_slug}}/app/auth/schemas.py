"""What a client sends to /auth, and what it gets back."""

from marshmallow import Schema, fields, validate

from app.core.fields import NormalizedEmail, Password
from app.users.schemas import PASSWORD_LENGTH, UserFieldsSchema, UserSummarySchema

EMAIL_LENGTH = validate.Length(max=254)
# secrets.token_urlsafe(32) is 43 characters; anything much longer is not one of ours.
TOKEN_LENGTH = validate.Length(min=1, max=128)


class RegisterSchema(UserFieldsSchema):
    """The profile plus a password; any other field (role, id) is refused."""

    password = Password(required=True, validate=PASSWORD_LENGTH)


class LoginSchema(Schema):
    email = NormalizedEmail(required=True, validate=EMAIL_LENGTH)
    # No minimum here: a wrong password of any length gets the same answer as any other.
    password = Password(required=True, validate=validate.Length(min=1, max=1024))


class PasswordChangeSchema(Schema):
    current_password = Password(required=True, validate=validate.Length(min=1, max=1024))
    new_password = Password(required=True, validate=PASSWORD_LENGTH)


class EmailSchema(Schema):
    email = NormalizedEmail(required=True, validate=EMAIL_LENGTH)


class TokenSchema(Schema):
    """The token from a mailed link."""

    token = fields.String(required=True, validate=TOKEN_LENGTH)


class PasswordResetSchema(TokenSchema):
    new_password = Password(required=True, validate=PASSWORD_LENGTH)


class RegisteredSchema(Schema):
    message = fields.String(required=True)
    user_id = fields.Integer(required=True)


class AccessTokenSchema(Schema):
    access_token = fields.String(required=True)


class SessionOpenedSchema(AccessTokenSchema):
    user = fields.Nested(UserSummarySchema, required=True)


class LoginResultSchema(Schema):
    """Without two-factor sign-in: `access_token` and `user`. With it: `two_factor_required`,
    `challenge` and `expires_in`, and no token until POST /auth/login/2fa."""

    access_token = fields.String()
    user = fields.Nested(UserSummarySchema)
    two_factor_required = fields.Boolean(metadata={"description": "Present and true with 2FA."})
    challenge = fields.String(
        metadata={"description": "Send it with a code to /auth/login/2fa; it works once."}
    )
    expires_in = fields.Integer(metadata={"description": "Seconds the challenge is valid for."})


class MessageSchema(Schema):
    message = fields.String(required=True)
