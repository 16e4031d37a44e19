"""What a client sends to ask for and to use a mailed link."""

from marshmallow import Schema, fields, validate

from app.auth.schemas import EMAIL_LENGTH
from app.core.fields import NormalizedEmail, Password
from app.users.schemas import PASSWORD_LENGTH

# secrets.token_urlsafe(32) is 43 characters; anything much longer is not one of ours.
TOKEN_LENGTH = validate.Length(min=1, max=128)


class EmailSchema(Schema):
    email = NormalizedEmail(required=True, validate=EMAIL_LENGTH)


class TokenSchema(Schema):
    """The token from a mailed link."""

    token = fields.String(required=True, validate=TOKEN_LENGTH)


class PasswordResetSchema(TokenSchema):
    new_password = Password(required=True, validate=PASSWORD_LENGTH)
