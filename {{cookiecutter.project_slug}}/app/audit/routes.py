"""/audit-events for admins and /users/me/audit-events for everyone, and the hook that tells
the audit log where each request comes from."""

from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from flask import g, request
from marshmallow import RAISE

from app.audit import service
from app.audit.context import NOWHERE, Origin, set_origin
from app.audit.export import Cursor, Export
from app.audit.schemas import (
    AuditEventSchema,
    AuditFilterSchema,
    FeedArgsSchema,
    FeedSchema,
    PageArgsSchema,
)
from app.audit.service import Event, EventPage
from app.core.api import Blueprint, current_user

bp = Blueprint("audit", __name__, description="The security audit log.")

PAGE_HEADERS = {
    "Link": {
        "description": 'An RFC 8288 link to the rel="next" (older) page, if there is one.',
        "schema": {"type": "string"},
    },
}
Page = tuple[list[Event], int, dict[str, str]]


@bp.before_app_request
def capture_origin() -> None:
    # remote_addr is the client's address once ProxyFix has read the trusted proxies' headers.
    set_origin(
        Origin(
            ip_address=request.remote_addr,
            user_agent=request.headers.get("User-Agent") or None,
            request_id=g.get("request_id"),
        )
    )


@bp.teardown_app_request
def forget_origin(_error: BaseException | None) -> None:
    set_origin(NOWHERE)


@bp.get("/audit-events")
@bp.limit("audit_events")
@bp.admin_required
# A misspelt filter is a 400, not a quietly wider answer (webargs ignores unknown query keys).
@bp.arguments(AuditFilterSchema, location="query", unknown=RAISE)
@bp.response(HTTPStatus.OK, AuditEventSchema(many=True), headers=PAGE_HEADERS)
def list_events(args: dict[str, Any]) -> Page:
    """List the audit log, newest first (admins only).

    Filters combine: `actor_id`, `target_user_id`, `action`, and a time range. Follow the
    `Link` header's rel="next" for older events; the cursor in it is opaque.
    """
    return paged(service.list_events(**args))


@bp.get("/audit-events/feed")
@bp.limit("audit_events")
@bp.admin_required
@bp.arguments(FeedArgsSchema, location="query", unknown=RAISE)
@bp.response(HTTPStatus.OK, FeedSchema)
def feed(args: dict[str, Any]) -> dict[str, Any]:
    """Read the audit log incrementally, oldest first (admins only).

    Each committed event comes exactly once across successive calls, in a stable order,
    however transactions interleave: pass the answer's `cursor` as `after` next time. An
    empty `events` means nothing new yet. `flask audit export` reads the same way.
    """
    run = Export(Cursor.decode(args.get("after")), limit=args["limit"])
    items = list(run)
    return {
        "events": [item for kind, item in items if kind == "event"],
        "seals": [item for kind, item in items if kind == "seal"],
        "cursor": run.cursor.encode(),
    }


@bp.get("/users/me/audit-events")
@bp.limit("my_audit_events")
@bp.login_required
@bp.arguments(PageArgsSchema, location="query", unknown=RAISE)
@bp.response(HTTPStatus.OK, AuditEventSchema(many=True), headers=PAGE_HEADERS)
def list_own_events(args: dict[str, Any]) -> Page:
    """List your account's security history, newest first.

    What you did and what others (admins, anonymous callers) did to your account; their
    addresses and browsers are not shown.
    """
    return paged(service.own_events(current_user.id, **args))


def paged(page: EventPage) -> Page:
    """The page's events, with a Link to the next page that keeps the query's filters."""
    headers = {}
    if page.next_cursor is not None:
        query = urlencode({**request.args.to_dict(), "cursor": page.next_cursor})
        headers["Link"] = f'<{request.base_url}?{query}>; rel="next"'
    return page.items, HTTPStatus.OK, headers
