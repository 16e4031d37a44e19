"""Rate limits under gunicorn: as the README runs it, with several workers, and a Redis that goes
away."""

import json
import shlex
import threading
import time
from http import HTTPStatus
from pathlib import Path

import pytest

from tests.conftest import (
    PRODUCTION_MAIL,
    PRODUCTION_TOTP_KEY,
    free_port,
    http,
    migrate_with_admin,
    project_venv,
    run,
    running,
    wait_for_http,
)

EMAIL, PASSWORD = "limits@example.com", "password-for-limits"
CONCURRENT = 20
WORKERS = 4


def prepare(bake, storage: str, tmp_path: Path, redis_url: str | None) -> tuple[Path, Path, dict]:
    """Render a SQLite project, migrate it and create one account; return project, venv, env."""
    project = bake(rate_limit_storage=storage)
    venv = project_venv(project)
    env = {
        "FLASK_ENV": "production",
        "SECRET_KEY": "k" * 48,
        "JWT_SECRET_KEY": "j" * 48,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'limits.db'}",
        # Enough hashing work that a login keeps one worker busy while others accept.
        "PASSWORD_HASH_ITERATIONS": "100000",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        **PRODUCTION_MAIL,
        **PRODUCTION_TOTP_KEY,
    }
    migrate_with_admin(project, env, EMAIL, PASSWORD)
    return project, venv, env


def gunicorn(venv: Path, port: int, workers: int) -> list[str]:
    return [
        str(venv / "bin" / "gunicorn"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]


def concurrent_logins(base: str) -> list[tuple[int, dict, dict]]:
    """Fire CONCURRENT logins at once; return every (status, body, headers)."""
    barrier = threading.Barrier(CONCURRENT)
    results: list[tuple[int, dict, dict]] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        outcome = http("POST", f"{base}/auth/login", {"email": EMAIL, "password": PASSWORD})
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def tally(results: list[tuple[int, dict, dict]]) -> tuple[int, int]:
    ok = sum(1 for status, _, _ in results if status == HTTPStatus.OK)
    limited = [body for status, body, _ in results if status == HTTPStatus.TOO_MANY_REQUESTS]
    for body in limited:
        assert body == {"error": "Rate limit exceeded: 10 per 1 minute", "status_code": 429}
    return ok, len(limited)


def burst_under_gunicorn(bake, tmp_path: Path, storage: str, redis_url: str | None):
    """Serve a render with WORKERS workers, fire CONCURRENT logins at once; (ok, limited)."""
    project, venv, env = prepare(bake, storage, tmp_path, redis_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(gunicorn(venv, port, WORKERS), project, env, tmp_path / "server.log"):
        wait_for_http(f"{base}/health")
        ok, limited = tally(concurrent_logins(base))
    print(json.dumps({"storage": storage, "workers": WORKERS, "ok": ok, "limited": limited}))
    return ok, limited


@pytest.mark.slow
def test_redis_limits_are_shared_by_all_workers(bake, tmp_path, private_redis):
    assert burst_under_gunicorn(bake, tmp_path, "redis", private_redis.url) == (10, 10)


def readme_production_command(project: Path) -> tuple[dict[str, str], list[str]]:
    """The production command in the render's README: its variables, and the command itself."""
    (line,) = [
        line.split("#")[0]
        for line in (project / "README.md").read_text().splitlines()
        if line.startswith("FLASK_ENV=production") and "gunicorn wsgi:app" in line
    ]
    words = shlex.split(line)
    variables = dict(word.split("=", 1) for word in words if "=" in word)
    return variables, [word for word in words if "=" not in word]


def server_log(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_memory_limits_hold_under_gunicorn_started_as_the_readme_says(bake, tmp_path):
    project, venv, env = prepare(bake, "memory", tmp_path, None)
    (project / ".venv").symlink_to(venv)  # where the README's command finds gunicorn
    variables, command = readme_production_command(project)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Only where it listens, and no control socket (its default path is shared by every run).
    server_env = {**env, **variables, "BIND": f"127.0.0.1:{port}"}
    server_env["GUNICORN_CMD_ARGS"] = "--no-control-socket"
    log = tmp_path / "server.log"

    with running(command, project, server_env, log):
        wait_for_http(f"{base}/health")
        ok, limited = tally(concurrent_logins(base))

    assert (variables, command) == ({"FLASK_ENV": "production"}, [".venv/bin/gunicorn", "wsgi:app"])
    assert (ok, limited) == (10, 10)
    messages = [entry["message"] for entry in server_log(log)]
    assert sum(message.startswith("Booting worker") for message in messages) == 1, messages
    assert not [message for message in messages if "each worker's memory" in message]


@pytest.mark.slow
def test_several_workers_with_memory_limits_log_a_warning(bake, tmp_path):
    project, venv, env = prepare(bake, "memory", tmp_path, None)
    port = free_port()
    server_env = {**env, "WEB_CONCURRENCY": "3", "BIND": f"127.0.0.1:{port}"}
    server_env["GUNICORN_CMD_ARGS"] = "--no-control-socket"
    log = tmp_path / "server.log"

    with running([str(venv / "bin" / "gunicorn"), "wsgi:app"], project, server_env, log):
        wait_for_http(f"http://127.0.0.1:{port}/health")

    warnings = [entry for entry in server_log(log) if "each worker's memory" in entry["message"]]
    assert [(entry["level"], entry["logger"]) for entry in warnings] == [
        ("WARNING", "gunicorn.error")
    ]
    assert "3 workers allow up to 3 times every limit" in warnings[0]["message"]


@pytest.mark.slow
def test_service_survives_redis_going_away(bake, tmp_path, private_redis):
    project, venv, env = prepare(bake, "redis", tmp_path, private_redis.url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    login = {"email": EMAIL, "password": PASSWORD}

    with running(gunicorn(venv, port, 1), project, env, log):
        wait_for_http(f"{base}/health")
        assert http("GET", f"{base}/ready")[:2] == (
            HTTPStatus.OK,
            {"status": "ready", "checks": {"database": "ok", "redis": "ok"}},
        )

        private_redis.stop()
        statuses = [http("POST", f"{base}/auth/login", login)[0] for _ in range(3)]
        ready_status, ready_body, _ = http("GET", f"{base}/ready")

        private_redis.start()
        deadline = time.monotonic() + 10
        while http("GET", f"{base}/ready")[0] != HTTPStatus.OK and time.monotonic() < deadline:
            time.sleep(0.2)
        recovered = http("GET", f"{base}/ready")[0]

    assert statuses == [HTTPStatus.OK] * 3
    assert (ready_status, ready_body) == (
        HTTPStatus.SERVICE_UNAVAILABLE,
        {"status": "degraded", "checks": {"database": "ok", "redis": "unavailable"}},
    )
    assert recovered == HTTPStatus.OK
    warnings = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(
        entry["level"] == "WARNING" and "falling back to in-memory storage" in entry["message"]
        for entry in warnings
    ), log.read_text()[-3000:]


# Registers argv[2] new accounts through the app gunicorn would serve (.env loaded, as set up by
# the generator); prints the statuses.
REGISTER = """
import json, sys
import wsgi
client = wsgi.app.test_client()
print(json.dumps([
    client.post("/auth/register", json={
        "email": f"{sys.argv[1]}-{n}@example.com", "name": "New", "password": "a long passphrase",
    }).status_code
    for n in range(int(sys.argv[2]))
]))
"""


def register(project: Path, label: str, count: int) -> list[int]:
    """Migrate `project`'s own development database, then register `count` accounts there."""
    venv = project_venv(project)
    upgrade = run([str(venv / "bin" / "flask"), "db", "upgrade"], cwd=project)
    assert upgrade.returncode == 0, upgrade.stderr
    result = run([str(venv / "bin" / "python"), "-c", REGISTER, label, str(count)], cwd=project)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.slow
def test_two_renders_of_one_slug_keep_their_own_counters(bake):
    first, second = bake(), bake()

    assert first.name == second.name and first != second
    assert register(first, "first", 6) == [HTTPStatus.CREATED] * 5 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert register(second, "second", 1) == [HTTPStatus.CREATED]
    assert (first / "instance" / "ratelimits.sqlite3").exists()
