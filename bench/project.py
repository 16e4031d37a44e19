"""A rendered project set up as its README does, and served under gunicorn, for the benchmarks.

The render's own post-generation hook creates its .venv, installs the pinned requirements and
creates and migrates the database that DATABASE_URL names; a user's set-up, nothing of ours.
"""

import base64
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".venv" / "bin"
EMAIL, PASSWORD = "bench@example.com", "bench-password-123"
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# Every limit a benchmarked request or its login meets: on (their cost is part of each request)
# but high enough never to trip. The names are the render's settings (app/config.py).
LIMIT_SETTINGS = (
    "RATELIMIT_DEFAULT",
    "RATELIMIT_USERS",
    "RATELIMIT_LOGIN",
    "RATELIMIT_LOGIN_ACCOUNT",
)
HIGH_LIMIT = "100000000 per minute"
HIGH_LIMITS = dict.fromkeys(LIMIT_SETTINGS, HIGH_LIMIT)
WORKERS = 2
# The production config and the secrets it demands, for every benchmarked app (every script).
PRODUCTION = {
    "FLASK_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "JWT_SECRET_KEY": "j" * 48,
    # A Fernet key (32 bytes, url-safe base64): production needs one for 2FA secrets.
    "TOTP_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}


def app_env(database_url: str, storage: str) -> dict[str, str]:
    """The production settings every benchmarked server runs with (the floor reads them too)."""
    return {
        **PRODUCTION,
        "DATABASE_URL": database_url,
        # A `memory` render keeps the counters its generation chose (today a SQLite file its
        # workers share; memory:// in renders before issue 20), as its users run it.
        **({"RATELIMIT_STORAGE_URI": REDIS} if storage == "redis" else {}),
        **HIGH_LIMITS,
        # Production needs a mail server while password reset is on; nothing listens here.
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": "9",
        "LOG_LEVEL": "INFO",
    }


def server_env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a script's servers and `flask` commands: `app_env` on the
    render's own counter storage, cheap password hashing for the benchmark login, then `extra`."""
    return {
        **os.environ,
        **app_env(database_url, "memory"),
        "FLASK_APP": "wsgi",
        "PASSWORD_RESET_ENABLED": "false",
        "PASSWORD_HASH_ITERATIONS": "1000",
        **(extra or {}),
    }


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def bake(out: Path, template: Path = ROOT, env: dict[str, str] | None = None, **answers) -> Path:
    """Render `template` into `out` with `answers`; return the project folder."""
    args = [
        f"{key}={'yes' if value is True else 'no' if value is False else value}"
        for key, value in answers.items()
    ]
    # The hook installs with uv when it finds one on PATH, as `make` puts ours there.
    path = {"PATH": f"{TOOLS}{os.pathsep}{os.environ['PATH']}"}
    command = [str(TOOLS / "cookiecutter"), "--no-input", "-o", str(out), str(template), *args]
    run(command, ROOT, {**path, **(env or {})})
    return next(path for path in out.iterdir() if path.is_dir())


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on POSTGRES; yield its URL, drop it afterwards."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin_url = f"{POSTGRES.replace('+psycopg', '')}/postgres"
    run(["psql", admin_url, "-qc", f'CREATE DATABASE "{name}"'], ROOT)
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        subprocess.run(["psql", admin_url, "-qc", drop], check=False, capture_output=True)


def set_up(out: Path, database_url: str, template: Path = ROOT, **answers) -> Path:
    """Render `template` into `out` with `setup_environment=yes`: the hook makes .venv and
    migrates the database at `database_url` (its set-up reads DATABASE_URL from the environment)."""
    project = bake(out, template, {"DATABASE_URL": database_url}, setup_environment=True, **answers)
    if not (project / ".venv" / "bin" / "gunicorn").exists():
        raise RuntimeError(f"{project}: the hook did not finish setting up .venv")
    return project


@contextmanager
def prepared(
    scratch: Path, database: str, storage: str, template: Path = ROOT, **answers: object
) -> Iterator:
    """Render with `setup_environment=yes` (and `answers`) on a database of its own, add the
    benchmark admin; yield the project and its server environment. A PostgreSQL database is
    dropped afterwards."""
    with ExitStack() as stack:
        if database == "postgresql":
            url = stack.enter_context(postgres_database())
        else:
            url = f"sqlite:///{scratch / uuid.uuid4().hex[:12]}.db"
        env = app_env(url, storage)
        out = scratch / f"render_{uuid.uuid4().hex[:12]}"
        project = set_up(
            out, url, template, database=database, rate_limit_storage=storage, **answers
        )
        add_admin(project, env)
        yield project, env


def add_admin(project: Path, env: dict[str, str]) -> None:
    """Migrate the database in `env` (a no-op after the hook's set-up), add the benchmark admin."""
    flask = str(project / ".venv" / "bin" / "flask")
    admin = ["users", "create-admin", "--email", EMAIL, "--name", "Bench"]
    run([flask, "db", "upgrade"], project, env)
    run([flask, *admin, "--password", PASSWORD], project, env)


@contextmanager
def served(
    project: Path, env: dict[str, str], app: str = "wsgi:app", chdir: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Serve `app` under gunicorn with WORKERS sync workers; yield its base URL and master.

    Every server, the bare and floor apps included, runs with the rendered project's venv and
    gunicorn.conf.py (JSON access line per request, timeouts): the same gunicorn settings.
    """
    command = [
        str(project / ".venv" / "bin" / "gunicorn"),
        "-c", str(project / "gunicorn.conf.py"),
        "-w", str(WORKERS),
        "--threads", "1",  # sync workers, whatever gunicorn.conf.py picks for in-memory limits
        "-b", "127.0.0.1:0",  # a free port, which gunicorn names in its log
        app,
    ]  # fmt: skip
    # The config file imports the project's logging setup, so the project must be importable.
    env = {**os.environ, **env, "PYTHONPATH": str(project)}
    log = Path(tempfile.mkstemp(prefix="bench-server-", suffix=".log")[1])
    with log.open("w") as out:
        master = subprocess.Popen(
            command, cwd=chdir or project, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        yield listening_at(log, master), master
    finally:
        os.killpg(master.pid, signal.SIGTERM)
        master.wait(timeout=30)
        log.unlink()


def listening_at(log: Path, master: subprocess.Popen, deadline: float = 60.0) -> str:
    """The base URL from gunicorn's "Listening at" line. The socket queues connections from
    then on, so the first request waits for a worker instead of failing."""
    end = time.monotonic() + deadline
    while time.monotonic() < end and master.poll() is None:
        found = re.search(r"Listening at: (http://[\d.]+:\d+)", log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}")


def login_token(base: str) -> tuple[str, int]:
    """Log the benchmark admin in; return its access token and user id (the token's `sub`)."""
    body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{base}/auth/login", body, {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        token = json.load(response)["access_token"]
    claims = token.split(".")[1]
    return token, int(
        json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["sub"]
    )


def worker_pids(master: subprocess.Popen) -> list[int]:
    """The gunicorn workers: the master's children (`served` starts gunicorn directly)."""
    children = run(["pgrep", "-P", str(master.pid)], ROOT)
    return [int(pid) for pid in children.split()]


def rss_mb(pid: int) -> float:
    """The resident set of process `pid`, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024
