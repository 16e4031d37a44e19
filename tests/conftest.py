"""Shared helpers for the template's tests: baking, cached project environments, databases."""

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
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


def project_venv(project: Path) -> Path:
    """A virtualenv with `project`'s pinned dev requirements, shared by renders with equal pins.

    Built once per distinct set of requirement files and kept under .cache/ between runs.
    """
    pins = "".join(
        (project / name).read_text() for name in ("requirements.txt", "requirements-dev.txt")
    )
    key = hashlib.sha256(pins.encode()).hexdigest()[:16]
    venv = CACHE / "venvs" / key
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"venv-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            build_venv(venv, project)
            (venv / ".complete").write_text(pins)
    return venv


def build_venv(venv: Path, project: Path) -> None:
    uv = shutil.which("uv")
    env = {"UV_PYTHON_DOWNLOADS": "never"}
    if uv:
        commands = [
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                str(venv / "bin" / "python"),
                "-r",
                "requirements-dev.txt",
            ],
        ]
    else:
        commands = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", "--quiet", "-r", "requirements-dev.txt"],
        ]
    for command in commands:
        result = run(command, cwd=project, env=env, timeout=900)
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
