"""What a client sends to /users/.../api-keys, and what it gets back."""

from marshmallow import Schema, fields, validate

from app.core.fields import PlainText
from app.users.schemas import NAME_LENGTH


class ApiKeyCreateSchema(Schema):
    name = PlainText(
        required=True, validate=NAME_LENGTH, metadata={"description": "What the key is for."}
    )
    expires_in_days = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=3650),
        metadata={"description": "Days until the key stops working; none: it does not expire."},
    )


class ApiKeySchema(Schema):
    """A key as its list shows it: never the key itself."""

    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The key's first characters."})
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(
        allow_none=True, metadata={"description": "Updated at most once a minute."}
    )


class NewApiKeySchema(ApiKeySchema):
    key = fields.String(
        required=True,
        metadata={"description": "The key, shown this once: send it as the X-API-Key header."},
    )
