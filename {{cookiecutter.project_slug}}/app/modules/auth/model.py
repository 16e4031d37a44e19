"""Schemas for the auth module."""

from marshmallow import Schema, validate

from app.modules.users.model import PASSWORD_LENGTH, UserFieldsSchema
from app.utils.fields import NormalizedEmail, Password


class RegisterSchema(UserFieldsSchema):
    """POST /auth/register: the profile plus a password; any other field (role, id) is refused."""

    password = Password(required=True, validate=PASSWORD_LENGTH)


class LoginSchema(Schema):
    """POST /auth/login."""

    email = NormalizedEmail(required=True, validate=validate.Length(max=254))
    # No minimum here: a wrong password of any length gets the same answer as any other.
    password = Password(required=True, validate=validate.Length(min=1, max=1024))
