"""What a client sends to /auth, and what it gets back."""

from marshmallow import Schema, fields, validate

from app.core.fields import NormalizedEmail, Password
from app.users.schemas import PASSWORD_LENGTH, UserFieldsSchema, UserSummarySchema

EMAIL_LENGTH = validate.Length(max=254)


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


class RegisteredSchema(Schema):
    message = fields.String(required=True)
    user_id = fields.Integer(required=True)


class AccessTokenSchema(Schema):
    access_token = fields.String(required=True)


class SessionOpenedSchema(AccessTokenSchema):
    user = fields.Nested(UserSummarySchema, required=True)


class MessageSchema(Schema):
    message = fields.String(required=True)
