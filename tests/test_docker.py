"""Docker renders: lint, the Compose Specification, services per answer, and the entrypoint run
for real on the host (there is no Docker engine here, so no image is built)."""

import json
import os
import re
import secrets
import stat
import sys
import time
from http import HTTPStatus
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.conftest import (
    PRODUCTION_MAIL,
    PRODUCTION_TOTP_KEY,
    free_port,
    fresh_database,
    http,
    project_venv,
    run,
    running,
    stored_heads,
    wait_for_http,
)

# The linters live beside the interpreter running the tests (the template's dev requirements).
TOOLS = Path(sys.executable).parent
DOCKER_FILES = ("Dockerfile", ".dockerignore", "docker-compose.yml", "docker")
SERVER_DATABASES = ("postgresql", "mysql")
MARKER = re.compile(r"\{\{|\{%|\{#")
# .env settings whose values must never be copied into a file that is committed or built.
SECRET_SETTING = re.compile(r"SECRET|PASSWORD|TOKEN")
DB_PASSWORD = "${DB_PASSWORD:?add DB_PASSWORD to .env}"
DATABASE_URLS = {
    "sqlite": "sqlite:////app/data/app.db",
    "postgresql": f"postgresql+psycopg://app:{DB_PASSWORD}@db:5432/my_flask_api",
    "mysql": f"mysql+pymysql://app:{DB_PASSWORD}@db:3306/my_flask_api?charset=utf8mb4",
}
HEALTH_DEADLINE_SECONDS = 30

combinations = pytest.mark.parametrize(
    ("database", "storage"),
    [
        pytest.param(database, storage, id=f"{database}-{storage}")
        for database in ("sqlite", "postgresql", "mysql")
        for storage in ("memory", "redis")
    ],
)


# The services that run the project's own image (the others are the servers they use), by
# background_jobs answer: Celery's worker and beat take the place of the mail worker's loop and
# the sealer's.
APP_SERVICES = {
    "none": ("api", "mail-worker", "audit-sealer"),
    "celery": ("api", "worker", "beat"),
}
background_jobs = pytest.mark.parametrize("jobs", list(APP_SERVICES))
# Celery's queue: database 1 of the stack's Redis (the rate limiter keeps database 0).
BROKER_URL = "redis://redis:6379/1"


def bake_docker(
    bake, database: str = "sqlite", storage: str = "memory", jobs: str = "none", **answers
) -> Path:
    return bake(
        database=database,
        rate_limit_storage=storage,
        use_docker=True,
        background_jobs=jobs,
        **answers,
    )


def load_compose(project: Path) -> dict:
    return yaml.safe_load((project / "docker-compose.yml").read_text())


def docker_texts(project: Path) -> dict[str, str]:
    """Every Docker-only file of the render, by path relative to the project."""
    paths = [project / name for name in DOCKER_FILES[:3]]
    paths += sorted((project / "docker").iterdir())
    return {str(path.relative_to(project)): path.read_text() for path in paths}


def dockerfile_instructions(project: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (project / "Dockerfile").read_text()
    text = re.sub(r"\\\n\s*", " ", re.sub(r"(?m)^\s*#.*\n", "", text))
    return [tuple(line.split(maxsplit=1)) for line in text.splitlines() if line.strip()]


def env_secrets(project: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (project / ".env").read_text().splitlines())
    return {
        name: value
        for name, value in (pair for pair in pairs if len(pair) == 2)
        if SECRET_SETTING.search(name)
    }


# Lint and schema, for every combination


@combinations
def test_dockerfile_passes_hadolint_with_no_rule_ignored(bake, tmp_path, database, storage):
    project = bake_docker(bake, database, storage)
    config = tmp_path / "hadolint.yaml"
    config.write_text("failure-threshold: style\nignored: []\n")
    result = run(
        [str(TOOLS / "hadolint"), "--config", str(config), "--format", "json", "Dockerfile"],
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


def test_dockerfile_has_no_inline_hadolint_ignores(bake):
    assert "hadolint ignore" not in (bake_docker(bake) / "Dockerfile").read_text()


@background_jobs
@combinations
def test_compose_file_follows_the_compose_specification(bake, database, storage, jobs):
    project = bake_docker(bake, database, storage, jobs)
    result = run(
        [
            str(TOOLS / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            "docker-compose.yml",
        ],
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_check_rejects_a_file_outside_the_specification(bake, tmp_path):
    compose = load_compose(bake_docker(bake, "postgresql"))
    compose["services"]["api"]["depends_on"]["db"]["condition"] = "healthy"
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(compose))
    result = run(
        [str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "'healthy' is not one of" in result.stdout


@background_jobs
@combinations
def test_docker_files_have_no_template_markers(bake, database, storage, jobs):
    texts = docker_texts(bake_docker(bake, database, storage, jobs))
    assert [name for name, text in texts.items() if MARKER.search(text)] == []


@background_jobs
@combinations
def test_docker_files_hold_no_secret_from_env(bake, database, storage, jobs):
    project = bake_docker(bake, database, storage, jobs)
    found = env_secrets(project)
    assert {"SECRET_KEY", "JWT_SECRET_KEY"} <= set(found)
    leaks = [
        (path, name)
        for path, text in docker_texts(project).items()
        for name, value in found.items()
        if value and value in text
    ]
    assert leaks == []


def test_render_without_docker_has_no_docker_files(bake):
    project = bake(use_docker=False)
    assert [name for name in DOCKER_FILES if (project / name).exists()] == []


# The image


@pytest.mark.parametrize("python_version", ["3.11", "3.12", "3.13"])
def test_image_builds_from_the_chosen_python_slim_image(bake, python_version):
    project = bake_docker(bake, python_version=python_version)
    instructions = dockerfile_instructions(project)
    assert ("ARG", f"PYTHON_VERSION={python_version}") in instructions
    stages = [args for name, args in instructions if name == "FROM"]
    assert stages == [
        "python:${PYTHON_VERSION}-slim AS build",
        "python:${PYTHON_VERSION}-slim AS runtime",
    ]


def test_build_stage_copies_only_the_requirements_before_installing_them(bake):
    instructions = dockerfile_instructions(bake_docker(bake))
    runtime = instructions.index(("FROM", "python:${PYTHON_VERSION}-slim AS runtime"))
    build = instructions[:runtime]
    copies = [args for name, args in build if name == "COPY"]
    installs = [i for i, (name, args) in enumerate(build) if "pip install" in args]
    assert copies == ["requirements.txt ./"]
    assert installs == [build.index(("COPY", "requirements.txt ./")) + 1]


def test_image_runs_as_a_numeric_non_root_user(bake):
    instructions = dockerfile_instructions(bake_docker(bake))
    users = [args for name, args in instructions if name == "USER"]
    assert users == ["10001:10001"]


def test_image_installs_no_apt_packages_and_probes_health_with_python(bake):
    instructions = dockerfile_instructions(bake_docker(bake))
    runs = " ".join(args for name, args in instructions if name == "RUN")
    assert "apt-get" not in runs
    unique = dict(instructions)
    assert unique["HEALTHCHECK"].endswith('CMD ["python", "/app/docker/healthcheck.py"]')
    assert unique["ENTRYPOINT"] == '["/app/docker/entrypoint.sh"]'


def test_dockerignore_keeps_secrets_environments_and_caches_out(bake):
    text = (bake_docker(bake) / ".dockerignore").read_text()
    patterns = {line for line in text.splitlines() if line and not line.startswith("#")}
    assert {".env", ".venv/", ".git/", "**/__pycache__/", "instance/", "tests/"} <= patterns


def test_entrypoint_is_an_executable_posix_sh_script_that_shellcheck_accepts(bake):
    entrypoint = bake_docker(bake) / "docker" / "entrypoint.sh"
    assert entrypoint.stat().st_mode & stat.S_IXUSR
    assert entrypoint.read_text().startswith("#!/bin/sh\n")
    result = run([str(TOOLS / "shellcheck"), "--shell=sh", str(entrypoint)], cwd=entrypoint.parent)
    assert result.returncode == 0, result.stdout


# The compose file


@background_jobs
@combinations
def test_compose_runs_the_api_with_exactly_the_chosen_services(bake, database, storage, jobs):
    compose = load_compose(bake_docker(bake, database, storage, jobs))
    expected = {*APP_SERVICES[jobs], "mailpit"}
    if database in SERVER_DATABASES:
        expected.add("db")
    if storage == "redis" or jobs == "celery":  # the broker is Redis
        expected.add("redis")
    assert set(compose["services"]) == expected


@background_jobs
@combinations
def test_every_service_has_a_healthcheck_and_the_api_waits_for_the_others(
    bake, database, storage, jobs
):
    services = load_compose(bake_docker(bake, database, storage, jobs))["services"]
    assert [name for name, service in services.items() if not service["healthcheck"]["test"]] == []
    others = sorted(set(services) - set(APP_SERVICES[jobs]))
    for app in APP_SERVICES[jobs]:
        depends_on = services[app].get("depends_on", {})
        assert depends_on == {name: {"condition": "service_healthy"} for name in others}


def production_settings(database: str, storage: str) -> dict[str, str]:
    """What every app service of the stack runs with, whatever runs its background work."""
    expected = {
        "FLASK_ENV": "production",
        "DATABASE_URL": DATABASE_URLS[database],
        "MAIL_SERVER": "mailpit",
        "MAIL_PORT": "1025",
    }
    if storage == "redis":
        expected["RATELIMIT_STORAGE_URI"] = "redis://redis:6379/0"
    return expected


@combinations
def test_api_runs_in_production_against_the_services_of_the_stack(bake, database, storage):
    services = load_compose(bake_docker(bake, database, storage))["services"]
    api, worker, sealer = services["api"], services["mail-worker"], services["audit-sealer"]
    expected = {**production_settings(database, storage), "MAIL_SENDER": "worker"}
    assert api["env_file"] == worker["env_file"] == sealer["env_file"] == ".env"
    assert api["environment"] == worker["environment"] == sealer["environment"] == expected
    assert (api.get("command"), worker["command"]) == (None, ["flask", "mail", "worker"])
    # Hourly; a failed seal (the api not yet migrated at the first start) again after a minute.
    loop = "while true; do if flask audit seal; then sleep 3600; else sleep 60; fi; done"
    assert sealer["command"] == ["sh", "-c", loop]
    assert api.get("volumes") == worker.get("volumes") == sealer.get("volumes")


@combinations
def test_celery_worker_and_beat_run_the_image_in_production_on_redis_database_1(
    bake, database, storage
):
    services = load_compose(bake_docker(bake, database, storage, "celery"))["services"]
    api, worker, beat = services["api"], services["worker"], services["beat"]
    expected = {**production_settings(database, storage), "CELERY_BROKER_URL": BROKER_URL}
    celery = ["celery", "-A", "app.jobs.worker"]
    assert api["env_file"] == worker["env_file"] == beat["env_file"] == ".env"
    assert api["environment"] == worker["environment"] == beat["environment"] == expected
    assert api["build"] == worker["build"] == beat["build"] == "."
    assert (api.get("command"), worker["command"], beat["command"]) == (
        None,
        [*celery, "worker", "--loglevel", "INFO"],
        [*celery, "beat", "--enable-remote-control", "--loglevel", "INFO"],
    )
    assert api.get("volumes") == worker.get("volumes") == beat.get("volumes")
    # Celery's ping to this container's worker, or beat (which answers with remote control on).
    assert worker["healthcheck"]["test"] == ["CMD", "python", "-m", "app.jobs.probe", "worker"]
    assert beat["healthcheck"]["test"] == ["CMD", "python", "-m", "app.jobs.probe", "beat"]
    assert "ports" not in worker and "ports" not in beat


@pytest.mark.parametrize(
    ("database", "image", "password_setting", "volume"),
    [
        (
            "postgresql",
            "postgres:17-alpine",
            "POSTGRES_PASSWORD",
            "postgres_data:/var/lib/postgresql/data",
        ),
        ("mysql", "mariadb:11", "MARIADB_PASSWORD", "mariadb_data:/var/lib/mysql"),
    ],
)
def test_database_service_keeps_its_data_on_a_named_volume(
    bake, database, image, password_setting, volume
):
    compose = load_compose(bake_docker(bake, database))
    db = compose["services"]["db"]
    assert db["image"] == image
    assert db["environment"][password_setting] == DB_PASSWORD
    assert db["volumes"] == [volume]
    assert compose["volumes"] == {volume.split(":")[0]: None}


def test_sqlite_file_lives_on_a_named_volume(bake):
    compose = load_compose(bake_docker(bake, "sqlite"))
    api = compose["services"]["api"]
    assert api["volumes"] == ["sqlite_data:/app/data"]
    assert api["environment"]["DATABASE_URL"] == "sqlite:////app/data/app.db"
    assert compose["volumes"] == {"sqlite_data": None}


# The entrypoint, run on the host against real servers


def entrypoint_env(venv: Path, database_url: str, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "FLASK_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        **PRODUCTION_MAIL,
        **PRODUCTION_TOTP_KEY,
        # gunicorn's default control socket is one path under $HOME, shared by every run.
        "GUNICORN_CMD_ARGS": "--no-control-socket",
        **settings,
    }


def migrated_state(database_url: str) -> tuple[int, bool]:
    """(rows in alembic_version, whether the users table exists) of a PostgreSQL database."""
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        versions = conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
        users = conn.execute("SELECT to_regclass('users') IS NOT NULL").fetchone()[0]
    return versions, users


@pytest.mark.slow
def test_entrypoint_migrates_then_serves_health_until_stopped(bake, tmp_path):
    project = bake_docker(bake, "postgresql")
    venv = project_venv(project)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with fresh_database("postgresql") as url:
        env = entrypoint_env(venv, url, BIND=f"127.0.0.1:{port}", PORT=str(port))
        # From another directory: the script finds the project by its own path.
        command = [str(project / "docker" / "entrypoint.sh")]
        with running(command, tmp_path, env, tmp_path / "entrypoint.log") as process:
            wait_for_http(f"{base}/health", deadline=HEALTH_DEADLINE_SECONDS)
            health = http("GET", f"{base}/health")[:2]
            ready = http("GET", f"{base}/ready")[:2]
            probe = run([str(venv / "bin" / "python"), "docker/healthcheck.py"], project, env)
        assert health == (HTTPStatus.OK, {"status": "ok"})
        assert ready == (HTTPStatus.OK, {"status": "ready", "checks": {"database": "ok"}})
        assert probe.returncode == 0, probe.stderr
        assert migrated_state(url) == (len(stored_heads(project)), True)
    assert process.returncode == 0, (tmp_path / "entrypoint.log").read_text()


@pytest.mark.slow
def test_entrypoint_gives_up_with_a_clear_message_when_the_database_never_answers(bake, tmp_path):
    project = bake_docker(bake, "postgresql")
    venv = project_venv(project)
    closed = free_port()
    url = f"postgresql+psycopg://app:not-to-be-printed@127.0.0.1:{closed}/app"
    started = time.monotonic()
    result = run(
        [str(project / "docker" / "entrypoint.sh")],
        cwd=tmp_path,
        env=entrypoint_env(venv, url, DB_WAIT_TIMEOUT="2"),
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert (
        f"wait_for_db: gave up after 2 s: the database at "
        f"postgresql+psycopg://app:***@127.0.0.1:{closed}/app did not answer: "
    ) in result.stderr
    assert "not-to-be-printed" not in result.stdout + result.stderr
    assert "alembic" not in result.stderr  # it stopped before migrating
    assert elapsed < 20


@pytest.mark.slow
def test_entrypoint_with_a_command_runs_it_in_the_project_instead_of_the_server(bake, tmp_path):
    project = bake_docker(bake, "postgresql")
    venv = project_venv(project)
    database = tmp_path / "app.db"
    result = run(
        [
            str(project / "docker" / "entrypoint.sh"),
            "python",
            "-c",
            "import os; print(os.getcwd())",
        ],
        cwd=tmp_path,
        env=entrypoint_env(venv, f"sqlite:///{database}"),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(project)
    assert not database.exists()  # SQLite needs no wait and the command skips the migration


@pytest.mark.slow
@pytest.mark.parametrize(
    ("database", "missing_url"),
    [
        ("postgresql", "postgresql+psycopg://postgres@127.0.0.1:5432/tpl_never_created"),
        ("mysql", "mysql+pymysql://root@127.0.0.1:3306/tpl_never_created?charset=utf8mb4"),
    ],
    ids=["postgresql", "mysql"],
)
def test_entrypoint_stops_at_once_when_the_database_does_not_exist(
    bake, tmp_path, database, missing_url
):
    project = bake_docker(bake, database)
    venv = project_venv(project)
    started = time.monotonic()
    # DB_WAIT_TIMEOUT keeps its default (60 s): waiting cannot create the database.
    result = run(
        [str(project / "docker" / "entrypoint.sh")],
        cwd=tmp_path,
        env=entrypoint_env(venv, missing_url),
        timeout=40,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"wait_for_db: the database at {missing_url} refused: ")
    assert re.search(r"tpl_never_created.? does not exist|Unknown database", line)
    assert elapsed < 10


@pytest.mark.slow
def test_entrypoint_without_a_required_secret_stops_with_the_apps_one_line_message(bake, tmp_path):
    project = bake_docker(bake, "postgresql")
    venv = project_venv(project)
    result = run(
        [str(project / "docker" / "entrypoint.sh")],
        cwd=tmp_path,
        env=entrypoint_env(venv, f"sqlite:///{tmp_path / 'app.db'}", SECRET_KEY=""),
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == "check_config: SECRET_KEY must be set in production\n"
    assert not (tmp_path / "app.db").exists()  # it stopped before migrating
