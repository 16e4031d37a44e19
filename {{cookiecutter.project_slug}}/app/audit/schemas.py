"""What a reader of the audit log may ask for, and what they get back."""

from datetime import UTC, datetime

from marshmallow import Schema, ValidationError, fields, validate

from app.core import events
from app.users.models import MAX_ID

MAX_LIMIT = 100
USER_ID = validate.Range(min=1, max=MAX_ID)
# Far enough inside datetime's range that converting any offset to UTC cannot overflow.
TIME_RANGE = validate.Range(
    min=datetime(1970, 1, 1, tzinfo=UTC), max=datetime(9000, 1, 1, tzinfo=UTC)
)


def known_action(action: str) -> None:
    """Validate against the actions this project records, as declared when the app is built."""
    if action not in events.ACTIONS:
        raise ValidationError(f"Must be one of: {', '.join(sorted(events.ACTIONS))}.")


class PageArgsSchema(Schema):
    """?limit= and ?cursor=: the cursor comes from the previous page's Link header."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(min=1, max=64))


class AuditFilterSchema(PageArgsSchema):
    """GET /audit-events filters; a time without a zone is UTC; `since` <= created_at < `until`."""

    actor_id = fields.Integer(validate=USER_ID, metadata={"description": "Who acted."})
    target_user_id = fields.Integer(
        validate=USER_ID, metadata={"description": "The account acted on."}
    )
    action = fields.String(validate=known_action)
    since = fields.AwareDateTime(default_timezone=UTC, validate=TIME_RANGE)
    until = fields.AwareDateTime(default_timezone=UTC, validate=TIME_RANGE)


class AuditEventSchema(Schema):
    id = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    action = fields.String(required=True)
    actor_id = fields.Integer(
        allow_none=True, metadata={"description": "None: anonymous, or the command line."}
    )
    target_type = fields.String(allow_none=True)
    target_id = fields.Integer(allow_none=True)
    ip_address = fields.String(allow_none=True, metadata={"description": "After trusted proxies."})
    user_agent = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True, metadata={"description": "As in the access log."})
    details = fields.Dict(keys=fields.String(), required=True)


class FeedArgsSchema(Schema):
    """?after=: the cursor of the previous answer; none: from the first event."""

    after = fields.String(validate=validate.Length(min=1, max=128))
    limit = fields.Integer(load_default=MAX_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))


class FeedEventSchema(AuditEventSchema):
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    order_key = fields.Integer(
        required=True, metadata={"description": "With the id, the export's order."}
    )


class SealSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "seal, or anchor (a purge)."})
    previous = fields.String(required=True)
    after_key = fields.Integer(allow_none=True)
    after_id = fields.Integer(allow_none=True)
    end_key = fields.Integer(required=True)
    count = fields.Integer(required=True)
    keyed = fields.Boolean(required=True)
    digest = fields.String(required=True)


class FeedSchema(Schema):
    events = fields.List(fields.Nested(FeedEventSchema), required=True)
    seals = fields.List(
        fields.Nested(SealSchema),
        required=True,
        metadata={"description": "Seals whose events have all been sent, this call or before."},
    )
    cursor = fields.String(required=True, metadata={"description": "Pass as ?after= next time."})
