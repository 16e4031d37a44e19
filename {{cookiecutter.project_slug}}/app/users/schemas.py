"""What a client may send about users, and what it gets back."""

from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from app.core.fields import NormalizedEmail, Password, PlainText
from app.users.models import ROLE_ADMIN, ROLE_USER

MAX_PER_PAGE = 100
PASSWORD_LENGTH = validate.Length(min=8, max=1024)
NAME_LENGTH = validate.Length(min=1, max=100)
AGE_RANGE = validate.Range(min=0, max=150)


class UserFieldsSchema(Schema):
    """The profile fields a user is created with."""

    email = NormalizedEmail(required=True, validate=validate.Length(max=254))
    name = PlainText(required=True, validate=NAME_LENGTH)
    age = fields.Integer(strict=True, allow_none=True, validate=AGE_RANGE)


class UserCreateSchema(UserFieldsSchema):
    """POST /users: an admin may set a password now or leave the account without one."""

    password = Password(load_default=None, validate=PASSWORD_LENGTH)


class UserUpdateSchema(Schema):
    """PATCH /users/<id>: `name` and `age` for the owner; `role` and `is_active` for admins.

    Any other field (email, password, id) is a 400.
    """

    name = PlainText(validate=NAME_LENGTH)
    age = fields.Integer(strict=True, allow_none=True, validate=AGE_RANGE)
    role = fields.String(validate=validate.OneOf([ROLE_ADMIN, ROLE_USER]))
    # Only JSON true and false: "yes" or 1 is a 400, not a guess.
    is_active = fields.Boolean(truthy={True}, falsy={False})

    @validates_schema
    def not_empty(self, data: dict[str, Any], **_: object) -> None:
        if not data:
            raise ValidationError("Send at least one field to change.")


class UserSummarySchema(Schema):
    """Who logged in, as the login answer shows it."""

    id = fields.Integer()
    email = fields.String()
    name = fields.String()


class UserSchema(UserSummarySchema):
    """A user as the API shows it: never the password hash."""

    age = fields.Integer(allow_none=True)


class PageArgsSchema(Schema):
    """?page= and ?per_page= for list endpoints; per_page above the cap is clamped."""

    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1))

    @post_load
    def clamp(self, data: dict[str, int], **_: object) -> dict[str, int]:
        data["per_page"] = min(data["per_page"], MAX_PER_PAGE)
        return data
