"""A database that goes away under a running server, on a PostgreSQL cluster of the test's own."""

import os
import shutil
import subprocess
import tempfile
import time
from http import HTTPStatus
from pathlib import Path

import psycopg
import pytest

from tests.conftest import (
    PRODUCTION_MAIL,
    PRODUCTION_TOTP_KEY,
    free_port,
    http,
    migrate_with_admin,
    project_venv,
    running,
    wait_for_http,
)

EMAIL, PASSWORD = "dbdown@example.com", "password-db-down"
# gunicorn's default worker timeout; a request that waits on a dead database must answer first.
GUNICORN_TIMEOUT = 30


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port (never the shared server)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="pgcluster-"))
        self.data = self.directory / "data"
        # initdb and postgres refuse to run as root.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.directory, "postgres", "postgres")

    def pg(self, *args: str) -> None:
        result = subprocess.run(
            [*self.as_owner, *args], capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def init(self) -> None:
        self.pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def remove(self) -> None:
        subprocess.run(
            [*self.as_owner, "pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def private_postgres():
    cluster = PrivatePostgres()
    cluster.init()
    cluster.start()
    yield cluster
    cluster.remove()


def timed(method: str, url: str, **kwargs) -> tuple[int, dict, float]:
    started = time.monotonic()
    status, body, _ = http(method, url, **kwargs)
    return status, body, time.monotonic() - started


@pytest.mark.slow
def test_database_outage_is_a_bounded_json_503_and_the_service_recovers(
    bake, tmp_path, private_postgres
):
    project = bake(database="postgresql")
    venv = project_venv(project)
    private_postgres.create_database("app")
    env = {
        "FLASK_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "JWT_SECRET_KEY": "j" * 48,
        "DATABASE_URL": private_postgres.url("app"),
        "PASSWORD_HASH_ITERATIONS": "1000",
        **PRODUCTION_MAIL,
        **PRODUCTION_TOTP_KEY,
    }
    migrate_with_admin(project, env, EMAIL, PASSWORD, name="D")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = [str(venv / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"]

    with running(server, project, env, tmp_path / "server.log"):
        wait_for_http(f"{base}/health")
        login = http("POST", f"{base}/auth/login", {"email": EMAIL, "password": PASSWORD})
        token = login[1]["access_token"]
        me = f"{base}/users/1"

        private_postgres.stop()
        health = http("GET", f"{base}/health")[:2]
        ready = http("GET", f"{base}/ready")[:2]
        authenticated = timed("GET", me, headers={"Authorization": f"Bearer {token}"})
        new_login = timed("POST", f"{base}/auth/login", body={"email": EMAIL, "password": PASSWORD})

        private_postgres.start()
        deadline = time.monotonic() + 20
        while http("GET", f"{base}/ready")[0] != HTTPStatus.OK and time.monotonic() < deadline:
            time.sleep(0.2)
        after = http("GET", me, headers={"Authorization": f"Bearer {token}"})[:2]

    print(f"db down: authenticated GET {authenticated[2]:.2f} s, login {new_login[2]:.2f} s")
    unavailable = {"error": "Service temporarily unavailable", "status_code": 503}
    assert health == (HTTPStatus.OK, {"status": "ok"})
    assert ready == (
        HTTPStatus.SERVICE_UNAVAILABLE,
        {"status": "degraded", "checks": {"database": "unavailable"}},
    )
    for status, body, seconds in (authenticated, new_login):
        assert (status, body) == (HTTPStatus.SERVICE_UNAVAILABLE, unavailable)
        assert seconds < GUNICORN_TIMEOUT / 2
    assert after == (HTTPStatus.OK, {"id": 1, "email": EMAIL, "name": "D", "age": None})
