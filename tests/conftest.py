"""Shared helpers for the template's tests: baking, cached project environments, databases."""

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("TEMPLATE_TEST_CACHE", ROOT / ".cache"))
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_HOST = os.environ.get("MYSQL_HOST", "127.0.0.1")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Answers that keep a bake fast: no .venv, no install.
FAST = {"setup_environment": False}
# Production refuses to start without a mail server while password reset is on; nothing listens
# on this port, so a mail a test triggers fails (and is logged) without leaving the machine.
PRODUCTION_MAIL = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "9"}
# Production refuses to start without a key for the two-factor secrets (a Fernet key: 32 bytes).
PRODUCTION_TOTP_KEY = {"TOTP_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}


def load_hook(name: str):
    """Import hooks/<name>.py as a module (its Jinja sits only inside main's strings)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Every capability beyond the reference API left out, and every one in (the hook's table,
# CAPABILITIES). The defaults put all in but background jobs.
ALL_OFF = {name: c.off for name, c in load_hook("post_gen_project").CAPABILITIES.items()}
ALL_ON = {name: c.on for name, c in load_hook("post_gen_project").CAPABILITIES.items()}


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run `command`, capturing output; the caller asserts on the result."""
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def bake(cookies) -> Callable[..., Path]:
    """Render the template with `answers` (plus FAST defaults) and return the project path."""

    def do_bake(**answers: object) -> Path:
        result = cookies.bake(extra_context={**FAST, **answers})
        assert result.exit_code == 0, result.exception
        return Path(result.project_path)

    return do_bake


def project_venv(project: Path, python: str = sys.executable) -> Path:
    """A virtualenv with `project`'s pinned dev requirements, shared by renders with equal pins.

    Built once per distinct set of pins and interpreter (the locks' comments name the project, so
    they are left out of the key) and kept under .cache/ between runs.
    """
    pins = "\n".join(
        line
        for name in ("requirements.txt", "requirements-dev.txt")
        for line in (project / name).read_text().splitlines()
        if not line.lstrip().startswith("#")
    )
    # The running interpreter keeps the key it always had, so existing caches stay valid.
    seed = pins if python == sys.executable else f"{python}\n{pins}"
    key = hashlib.sha256(seed.encode()).hexdigest()[:16]
    venv = CACHE / "venvs" / key
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"venv-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            build_venv(venv, project, python)
            (venv / ".complete").write_text(pins)
    return venv


def build_venv(venv: Path, project: Path, interpreter: str = sys.executable) -> None:
    """Install exactly the lock's pins (`--no-deps`), then check that they satisfy each other.

    A lock that misses a package fails here, instead of the installer quietly adding whatever
    release the index serves today.
    """
    uv = shutil.which("uv")
    env = {"UV_PYTHON_DOWNLOADS": "never"}
    python = str(venv / "bin" / "python")
    lock = ["--no-deps", "-r", "requirements-dev.txt"]
    if uv:
        commands = [
            [uv, "venv", "--quiet", "--python", interpreter, str(venv)],
            [uv, "pip", "install", "--quiet", "--python", python, *lock],
            [uv, "pip", "check", "--python", python],
        ]
    else:
        commands = [
            [interpreter, "-m", "venv", str(venv)],
            [python, "-m", "pip", "install", "--quiet", *lock],
            [python, "-m", "pip", "check"],
        ]
    for command in commands:
        result = run(command, cwd=project, env=env, timeout=900)
        assert result.returncode == 0, result.stderr


def migrate_with_admin(
    project: Path, env: dict[str, str], email: str, password: str, name: str = "Admin"
) -> None:
    """Run `flask db upgrade` and create one admin in `project`'s virtualenv, under `env`."""
    flask = str(project_venv(project) / "bin" / "flask")
    for command in (
        ["db", "upgrade"],
        ["users", "create-admin", "--email", email, "--name", name, "--password", password],
    ):
        result = run([flask, *command], cwd=project, env=env)
        assert result.returncode == 0, result.stderr


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """Create an empty database of `kind`, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"tpl_{uuid.uuid4().hex[:12]}"
    if kind == "sqlite":
        path = CACHE / "sqlite" / f"{name}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)
        return
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    if kind == "mysql":
        import pymysql

        def admin(sql: str) -> None:
            conn = pymysql.connect(host=MYSQL_HOST, user="root", autocommit=True)
            try:
                conn.cursor().execute(sql)
            finally:
                conn.close()

        admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        try:
            yield f"mysql+pymysql://root@{MYSQL_HOST}:3306/{name}?charset=utf8mb4"
        finally:
            admin(f"DROP DATABASE IF EXISTS `{name}`")
        return
    raise ValueError(f"unknown database kind {kind!r}")


def stored_heads(project: Path) -> set[str]:
    """The revisions alembic_version holds once `project`'s migrations are all applied: every
    revision that no other names as its parent or dependency (the core's 0001, and each
    capability's branch, which depends on it)."""
    revisions, named = set(), set()
    for path in [*project.glob("migrations/versions/*.py"), *project.glob("app/*/migrations/*.py")]:
        source = path.read_text()
        revisions.add(re.search(r'^revision = "(\w+)"', source, re.M).group(1))
        for field in ("down_revision", "depends_on"):
            value = re.search(rf"^{field} = (.*)$", source, re.M).group(1)
            named.update(re.findall(r'"(\w+)"', value))
    return revisions - named


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, deadline: float = 30.0) -> None:
    """Poll `url` until it answers at all (any status), or fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {deadline} s")


def http(
    method: str, url: str, body: dict | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict, dict[str, str]]:
    """Send one JSON request; return status, decoded body and headers (errors included)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


@contextlib.contextmanager
def running(
    command: list[str], cwd: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process (in its own group) for the block; its output goes to `log`.

    On leaving, the group gets SIGTERM (SIGKILL if it will not stop); the process's return
    code is then on the yielded object.
    """
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class PrivateRedis:
    """A redis-server of the test's own on a free port (never the shared one)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


# The template's CI splits `make test` into one job per database x rate_limit_storage answer and
# one for the rest (.github/workflows/ci.yml): TEMPLATE_MATRIX=<database>-<storage> keeps the
# tests that render that combination, TEMPLATE_MATRIX=common those bound to none. Unset, all run.
ANSWERS = json.loads((ROOT / "cookiecutter.json").read_text())
DATABASES = tuple(ANSWERS["database"])
STORAGES = tuple(ANSWERS["rate_limit_storage"])
COMBINATIONS = tuple(f"{database}-{storage}" for database in DATABASES for storage in STORAGES)
COMMON = "common"


def matrix_cell(params: dict[str, object]) -> str:
    """The CI job that runs a test with these parameters.

    A test is bound to a combination by parameters named `database` and `storage`, or by an
    `answers` dict holding either answer. One that varies only one of them belongs with the
    other's default (the first choice in cookiecutter.json).
    """
    answers = params.get("answers")
    answers = answers if isinstance(answers, dict) else {}
    database = params.get("database", answers.get("database"))
    storage = params.get("storage", answers.get("rate_limit_storage"))
    if database is None and storage is None:
        return COMMON
    return f"{database or DATABASES[0]}-{storage or STORAGES[0]}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = os.environ.get("TEMPLATE_MATRIX")
    if not wanted:
        return
    if wanted not in (*COMBINATIONS, COMMON):
        choices = ", ".join((*COMBINATIONS, COMMON))
        raise pytest.UsageError(f"TEMPLATE_MATRIX={wanted!r} is none of: {choices}")
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)  # set on parametrized tests only
        cell = matrix_cell(callspec.params if callspec else {})
        (kept if cell == wanted else dropped).append(item)
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what tests recorded as `record_property("note", ...)`: figures and facts a reader
    of the run needs (which base image an image test used, how long it took), once each."""
    reports = [
        report
        for status in ("passed", "failed")
        for report in terminalreporter.stats.get(status, [])
    ]
    notes = sorted({value for report in reports for name, value in report.user_properties
                    if name == "note"})  # fmt: skip
    if notes:
        terminalreporter.section("notes")
        for note in notes:
            terminalreporter.write_line(note)
