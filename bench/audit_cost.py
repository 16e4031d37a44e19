"""What the audit log costs: a login and an authenticated request with and without it (or before a
change of it), pages of a 1,000,000-event table, and sealing and verifying that table.

From the template's root, with PostgreSQL on 127.0.0.1:5432 (PG_ADMIN_URL):

    .venv/bin/python bench/audit_cost.py --before <revision without the audit log>
    .venv/bin/python bench/audit_cost.py --only pages --events 1000000
    .venv/bin/python bench/audit_cost.py --only seal --events 1000000

login: renders the template for PostgreSQL, once as it is and once with use_audit_log=no (and,
with --before, the template at that revision), each on a fresh database, and times successful
and failed `POST /auth/login` in process with Flask's test client. By default passwords hash
with one iteration, so what is timed is the database work, where the audit INSERT lands;
--hash-iterations 600000 times production's hashing. It also times `GET /users/me` with the
access token (the authenticated request, which records nothing). Rounds alternate the order of
the renders; each figure is the median of the rounds, in ms.
pages: fills `audit_events` with --events rows in one INSERT ... SELECT generate_series, then
times `GET /audit-events` for the first page, the last page (the cursor after which only the
oldest 50 remain), a page filtered by action, one filtered by actor, and the owner's
`GET /users/me/audit-events`.
seal: fills the table the same way, then times `flask audit seal`'s work over all of it (plain
SHA-256 and HMAC), `flask audit verify`'s, and a second seal with nothing new, in process.
Prints one JSON object; writes nothing.
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from project import ROOT, postgres_database, set_up

# Runs in a render with its own interpreter; argv: requests per round, hash iterations.
LOGIN = """
import json, logging, statistics, sys, time
from app import create_app
from app.config import TestingConfig
from flask_migrate import upgrade
config = TestingConfig()
config.RATELIMIT_ENABLED = False
config.PASSWORD_HASH_ITERATIONS = int(sys.argv[2])
app = create_app(config)
logging.getLogger("app").setLevel(logging.WARNING)
with app.app_context():
    upgrade(revision="heads")  # the core's head and each capability's
client = app.test_client()
body = {"email": "bench@example.com", "name": "Bench", "password": "bench-password-123"}
client.post("/auth/register", json=body)
good = {"email": body["email"], "password": body["password"]}
bad = {"email": body["email"], "password": "not-the-password"}
requests = int(sys.argv[1])

def per_request_ms(login, status):
    started = time.perf_counter()
    for _ in range(requests):
        response = client.post("/auth/login", json=login)
    assert response.status_code == status, response.get_json()
    return (time.perf_counter() - started) / requests * 1000

def authenticated_ms():
    access = client.post("/auth/login", json=good).get_json()["access_token"]
    headers = {"Authorization": "Bearer " + access}
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get("/users/me", headers=headers)
    assert response.status_code == 200, response.get_json()
    return (time.perf_counter() - started) / requests * 1000

per_request_ms(good, 200)  # warm up
print(json.dumps({
    "ok": per_request_ms(good, 200),
    "failed": per_request_ms(bad, 401),
    "me": authenticated_ms(),
}))
"""

# Runs in a render with its own interpreter; argv: events, repeats.
PAGES = """
import json, logging, statistics, sys, time
from sqlalchemy import text
from app import create_app
from app.audit.service import encode_cursor
from app.config import TestingConfig
from app.extensions import db
from app.users import service as users
from flask_migrate import upgrade
events, repeats = int(sys.argv[1]), int(sys.argv[2])
config = TestingConfig()
config.RATELIMIT_ENABLED = False
app = create_app(config)
logging.getLogger("app").setLevel(logging.WARNING)
with app.app_context():
    upgrade(revision="heads")  # the core's head and each capability's
    admin = users.create_user("admin@example.com", "Admin", "bench-password-123", role="admin")
    owner = users.create_user("owner@example.com", "Owner", "bench-password-123")
    started = time.perf_counter()
    db.session.execute(text(
        "INSERT INTO audit_events (created_at, actor_id, action, target_type, target_id,"
        " ip_address, user_agent, request_id, details)"
        " SELECT timestamp '2026-01-01' + n * interval '1 second', n % 1000 + 10,"
        " (ARRAY['auth.login_succeeded', 'auth.logout', 'auth.login_failed',"
        " 'user.role_changed'])[n % 4 + 1], 'user', n % 1000 + 10, '10.0.' || n % 250 || '.1',"
        " 'bench/1.0', md5(n::text), '{}'::json FROM generate_series(1, :events) AS n"
    ), {"events": events})
    db.session.execute(text("UPDATE audit_events SET actor_id = :owner WHERE id % 1000 = 0"),
                       {"owner": owner.id})
    db.session.commit()
    db.session.execute(text("ANALYZE audit_events"))
    db.session.commit()
    fill_s = time.perf_counter() - started
    lowest = db.session.scalar(text("SELECT min(id) FROM audit_events"))
client = app.test_client()

def token(email):
    login = {"email": email, "password": "bench-password-123"}
    access = client.post("/auth/login", json=login).get_json()["access_token"]
    return {"Authorization": "Bearer " + access}

admin_headers, owner_headers = token("admin@example.com"), token("owner@example.com")

def median_ms(path, headers, query, rows):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path, query_string=query, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_json()
        assert len(response.get_json()) == rows
    return round(statistics.median(times), 2)

print(json.dumps({
    "events": events,
    "fill_s": round(fill_s, 1),
    "first_page_ms": median_ms("/audit-events", admin_headers, {"limit": 50}, 50),
    "last_page_ms": median_ms(
        "/audit-events", admin_headers, {"limit": 50, "cursor": encode_cursor(lowest + 50)}, 50
    ),
    "action_filter_ms": median_ms(
        "/audit-events", admin_headers, {"limit": 50, "action": "user.role_changed"}, 50
    ),
    "actor_filter_ms": median_ms(
        "/audit-events", admin_headers, {"limit": 50, "actor_id": 500}, 50
    ),
    "own_history_ms": median_ms("/users/me/audit-events", owner_headers, {"limit": 50}, 50),
}))
"""


# Runs in a render with its own interpreter; argv: events.
SEAL = """
import json, logging, sys, time
from sqlalchemy import text
from app import create_app
from app.audit import seals
from app.config import TestingConfig
from app.extensions import db
from flask_migrate import upgrade
events = int(sys.argv[1])
app = create_app(TestingConfig())
logging.getLogger("app").setLevel(logging.WARNING)

def seconds(work):
    started = time.perf_counter()
    result = work()
    return round(time.perf_counter() - started, 2), result

with app.app_context():
    upgrade(revision="heads")
    fill_s, _ = seconds(lambda: (db.session.execute(text(
        "INSERT INTO audit_events (created_at, actor_id, action, target_type, target_id,"
        " ip_address, user_agent, request_id, details)"
        " SELECT timestamp '2026-01-01' + n * interval '1 second', n % 1000 + 10,"
        " (ARRAY['auth.login_succeeded', 'auth.logout'])[n % 2 + 1], 'user', n % 1000 + 10,"
        " '10.0.' || n % 250 || '.1', 'bench/1.0', md5(n::text), '{}'::json"
        " FROM generate_series(1, :events) AS n"
    ), {"events": events}), db.session.commit()))
    seal_s, head = seconds(lambda: seals.seal(None))
    verify_s, _ = seconds(lambda: seals.verify(None, head))
    again_s, _ = seconds(lambda: seals.seal(None))
    db.session.execute(text("DELETE FROM audit_seals"))
    db.session.commit()
    key = b"k" * 48
    hmac_seal_s, head = seconds(lambda: seals.seal(key))
    hmac_verify_s, _ = seconds(lambda: seals.verify(key, head))
print(json.dumps({
    "events": events, "fill_s": fill_s, "seal_s": seal_s, "verify_s": verify_s,
    "seal_nothing_new_s": again_s, "hmac_seal_s": hmac_seal_s, "hmac_verify_s": hmac_verify_s,
}))
"""


def render(out: Path, template: Path, database_url: str, **answers: str) -> Path:
    """A PostgreSQL render of `template` with its own .venv, migrated on `database_url`."""
    return set_up(out, database_url, template, database="postgresql", **answers)


def in_render(project: Path, database_url: str, script: str, *args: object) -> dict:
    python = str(project / ".venv" / "bin" / "python")
    env = {**os.environ, "PYTHONPATH": str(project), "TEST_DATABASE_URL": database_url}
    result = subprocess.run(
        [python, "-c", script, *map(str, args)],
        cwd=project,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{project}: the timed script failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def bench_login(
    scratch: Path, before: str | None, rounds: int, requests: int, iterations: int
) -> dict:
    with ExitStack() as stack:
        # "after": this template; "nolog": the same with use_audit_log=no; "before": --before.
        templates: dict[str, tuple[Path, dict[str, str]]] = {
            "after": (ROOT, {}),
            "nolog": (ROOT, {"use_audit_log": "no"}),
        }
        if before:
            old = scratch / "template-before"
            git = ["git", "-C", str(ROOT), "worktree"]
            subprocess.run(
                [*git, "add", "--detach", str(old), before], check=True, capture_output=True
            )
            stack.callback(subprocess.run, [*git, "remove", "--force", str(old)], check=False)
            templates["before"] = (old, {})
        urls = {label: stack.enter_context(postgres_database()) for label in templates}
        targets = {
            label: (render(scratch / label, template, urls[label], **answers), urls[label])
            for label, (template, answers) in templates.items()
        }
        samples: dict[str, dict[str, list[float]]] = {
            label: {"ok": [], "failed": [], "me": []} for label in targets
        }
        for index in range(rounds):
            order = list(targets) if index % 2 == 0 else list(reversed(targets))
            for label in order:
                result = in_render(*targets[label], LOGIN, requests, iterations)
                for kind, value in result.items():
                    samples[label][kind].append(value)
    return {
        f"login_{kind}_{label}_ms": round(statistics.median(values[kind]), 3)
        for label, values in samples.items()
        for kind in ("ok", "failed", "me")
    } | {"rounds": rounds, "requests_per_round": requests, "hash_iterations": iterations}


def bench_pages(scratch: Path, events: int, repeats: int) -> dict:
    with postgres_database() as url:
        return in_render(render(scratch / "pages", ROOT, url), url, PAGES, events, repeats)


def bench_seal(scratch: Path, events: int) -> dict:
    with postgres_database() as url:
        return in_render(render(scratch / "seal", ROOT, url), url, SEAL, events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="login,pages,seal", help="login, pages, seal (any)")
    parser.add_argument("--before", help="also time logins on the template at this revision")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200, help="logins per round and kind")
    parser.add_argument(
        "--hash-iterations",
        type=int,
        default=1,
        help="PBKDF2 rounds for the logins (1: only the database work shows; 600000: production)",
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=21, help="requests per page timed")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as scratch:
        if "login" in args.only:
            results["login"] = bench_login(
                Path(scratch), args.before, args.rounds, args.requests, args.hash_iterations
            )
        if "pages" in args.only:
            results["pages"] = bench_pages(Path(scratch), args.events, args.repeats)
        if "seal" in args.only:
            results["seal"] = bench_seal(Path(scratch), args.events)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
