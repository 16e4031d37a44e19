"""GET /audit-events and GET /users/me/audit-events: pages, filters and who sees what."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest

from app.audit.models import AuditEvent
from app.extensions import db
from tests.audit.helpers import audit_log

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def add_events():
    """Store `count` events of `action` one minute apart from `start`; their ids, oldest first."""

    def add(count, action="auth.logout", start=T0, actor_id=None, target_id=None, **columns):
        events = [
            AuditEvent(
                created_at=start + timedelta(minutes=n),
                action=action,
                actor_id=actor_id,
                target_type="user" if target_id else None,
                target_id=target_id,
                details={},
                **columns,
            )
            for n in range(count)
        ]
        db.session.add_all(events)
        db.session.commit()
        return [event.id for event in events]

    return add


def next_cursor(response):
    """The cursor of the Link header's next page, or None when there is no next page."""
    link = response.headers.get("Link")
    if link is None:
        return None
    url, rel = link.split("; ")
    assert rel == 'rel="next"'
    return parse_qs(urlsplit(url.strip("<>")).query)["cursor"][0]


def walk(client, headers, path="/audit-events", **query):
    """Every page of `path` with `query`: a list of each page's ids."""
    pages = []
    cursor = None
    while True:
        response = client.get(path, query_string={**query, "cursor": cursor}, headers=headers)
        assert response.status_code == HTTPStatus.OK, response.json
        pages.append([event["id"] for event in response.json])
        cursor = next_cursor(response)
        if cursor is None:
            return pages


@pytest.mark.parametrize(
    ("count", "pages"),
    [(0, [[]]), (1, [[1]]), (3, [[3, 2, 1]]), (4, [[4, 3, 2], [1]]), (6, [[6, 5, 4], [3, 2, 1]])],
    ids=["empty", "one", "exactly-a-page", "a-page-and-one", "two-full-pages"],
)
def test_pages_run_newest_first_and_end_without_a_next_link(
    client, admin_headers, add_events, count, pages
):
    ids = add_events(count)

    walked = walk(client, admin_headers, action="auth.logout", limit=3)

    assert walked == [[ids[n - 1] for n in page] for page in pages]


def test_the_next_link_keeps_the_filters(client, admin_headers, add_events):
    add_events(3)

    response = client.get("/audit-events?action=auth.logout&limit=2", headers=admin_headers)

    query = parse_qs(urlsplit(response.headers["Link"].split(";")[0].strip("<>")).query)
    assert (query["action"], query["limit"]) == (["auth.logout"], ["2"])


def test_filters_by_actor_and_by_target_user(client, admin_headers, add_events):
    add_events(2, actor_id=7)
    [target] = add_events(1, target_id=7)
    add_events(1, actor_id=8, target_id=8)

    assert [e["id"] for e in audit_log(client, admin_headers, target_user_id=7)] == [target]
    assert len(audit_log(client, admin_headers, actor_id=7)) == 2
    assert audit_log(client, admin_headers, actor_id=7, target_user_id=7) == []


def test_a_time_range_includes_its_start_and_excludes_its_end(client, admin_headers, add_events):
    ids = add_events(4, action="auth.logout")  # T0, T0+1min, T0+2min, T0+3min

    events = audit_log(
        client,
        admin_headers,
        since=(T0 + timedelta(minutes=1)).isoformat(),
        until=(T0 + timedelta(minutes=3)).isoformat(),
    )

    assert [event["id"] for event in events] == [ids[2], ids[1]]


def test_a_time_without_a_zone_is_utc(client, admin_headers, add_events):
    ids = add_events(2)

    events = audit_log(client, admin_headers, action="auth.logout", since="2026-01-01T00:01:00")

    assert [event["id"] for event in events] == [ids[1]]


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "not a cursor"},
        {"cursor": "ZTotMQ"},  # e:-1
        {"cursor": "ZTo5OTk5OTk5OTk5OTk5OTk5OTk5OTk"},  # beyond any id
        {"limit": 0},
        {"limit": 101},
        {"action": "auth.made_up"},
        {"actor": 1},  # a misspelt filter is refused, not ignored
        {"since": "yesterday"},
        {"until": "9999-12-31T23:59:59-05:00"},  # beyond what UTC can hold
    ],
)
def test_bad_queries_are_400(client, admin_headers, query):
    response = client.get("/audit-events", query_string=query, headers=admin_headers)

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_plain_users_cannot_read_the_whole_log(client, user, user_headers):
    response = client.get("/audit-events", query_string={"actor_id": 1}, headers=user_headers)

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_own_history_holds_what_you_did_and_what_was_done_to_you(
    client, user, admin, user_headers, admin_headers, make_user
):
    other = make_user()
    client.patch(f"/users/{user.id}", json={"name": "Renamed"}, headers=user_headers)
    client.patch(f"/users/{user.id}", json={"role": "admin"}, headers=admin_headers)
    client.patch(f"/users/{other.id}", json={"role": "admin"}, headers=admin_headers)

    response = client.get("/users/me/audit-events", headers=user_headers)

    assert response.status_code == HTTPStatus.OK
    seen = [(e["action"], e["actor_id"], e["target_id"]) for e in response.json]
    assert seen == [
        ("user.role_changed", admin.id, user.id),
        ("auth.login_succeeded", user.id, user.id),
        ("user.created", None, user.id),
    ]


def test_own_history_hides_where_others_acted_from(
    client, user, admin, user_headers, admin_headers
):
    client.patch(f"/users/{user.id}", json={"role": "admin"}, headers=admin_headers)

    events = client.get("/users/me/audit-events", headers=user_headers).json

    by_admin, own_login = events[0], events[1]
    assert (by_admin["ip_address"], by_admin["user_agent"]) == (None, None)
    assert own_login["ip_address"] == "127.0.0.1"


def test_nobody_reads_another_users_history(client, user, user_headers, make_user, login):
    other = make_user()
    other_headers = login(other)
    client.post("/auth/logout", headers=other_headers)

    mine = client.get("/users/me/audit-events", headers=user_headers).json

    assert {event["target_id"] for event in mine} == {user.id}
    assert {event["actor_id"] for event in mine} <= {user.id, None}


def test_own_history_pages_with_a_cursor(client, user, user_headers, add_events):
    ids = add_events(3, actor_id=user.id, target_id=user.id)

    pages = walk(client, user_headers, "/users/me/audit-events", limit=2)

    everything = [event_id for page in pages for event_id in page]
    assert [len(page) for page in pages] == [2, 2, 1]  # 3 added, the login, the creation
    assert everything[:3] == ids[::-1]
    assert everything == sorted(everything, reverse=True)


def test_own_history_without_a_token_is_401(client):
    assert client.get("/users/me/audit-events").status_code == HTTPStatus.UNAUTHORIZED
