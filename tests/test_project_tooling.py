"""The rendered project's own tooling: CI workflow, Dependabot, pre-commit, mypy and gunicorn."""

import json
import re
import secrets
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import (
    ALL_OFF,
    ALL_ON,
    PRODUCTION_MAIL,
    PRODUCTION_TOTP_KEY,
    free_port,
    project_venv,
    run,
    running,
    wait_for_http,
)

# The checkers live beside the interpreter running the tests (the template's dev requirements).
TOOLS = Path(sys.executable).parent
WORKFLOW = Path(".github/workflows/ci.yml")
DEPENDABOT = Path(".github/dependabot.yml")
DATABASE_URLS = {
    "sqlite": "sqlite:///app.db",
    "postgresql": "postgresql+psycopg://postgres@localhost:5432/my_flask_api",
    "mysql": "mysql+pymysql://root@localhost:3306/my_flask_api?charset=utf8mb4",
}
DATABASE_SERVICES = {"sqlite": set(), "postgresql": {"postgres"}, "mysql": {"mariadb"}}
RELEASE_TAG = re.compile(r"v\d+\.\d+\.\d+")

combinations = pytest.mark.parametrize(
    ("database", "storage"),
    [
        pytest.param(database, storage, id=f"{database}-{storage}")
        for database in ("sqlite", "postgresql", "mysql")
        for storage in ("memory", "redis")
    ],
)


def load(project: Path, path: Path) -> dict:
    return yaml.safe_load((project / path).read_text())


def jobs(project: Path) -> dict[str, dict]:
    return load(project, WORKFLOW)["jobs"]


def steps(project: Path) -> list[dict]:
    return [step for job in jobs(project).values() for step in job["steps"]]


def check_schema(schema: str, path: Path, cwd: Path):
    return run([str(TOOLS / "check-jsonschema"), "--builtin-schema", schema, str(path)], cwd)


# The CI workflow


@combinations
def test_workflow_follows_the_github_workflow_schema(bake, database, storage):
    project = bake(database=database, rate_limit_storage=storage)

    result = check_schema("vendor.github-workflows", WORKFLOW, project)

    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_check_rejects_a_workflow_outside_the_schema(bake, tmp_path):
    text = (bake() / WORKFLOW).read_text()
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace("timeout-minutes: 15", "timeout-minutes: soon", 1))

    result = check_schema("vendor.github-workflows", broken, tmp_path)

    assert result.returncode == 1
    assert "'soon'" in result.stdout


def test_workflow_runs_lint_migrations_tests_audit_and_newest(bake):
    assert list(jobs(bake())) == ["lint", "migrations", "test", "audit", "newest"]


@combinations
def test_workflow_starts_only_the_chosen_services(bake, database, storage):
    found = jobs(bake(database=database, rate_limit_storage=storage))
    redis = {"redis"} if storage == "redis" else set()

    assert set(found["lint"].get("services", {})) == set()
    assert set(found["migrations"].get("services", {})) == DATABASE_SERVICES[database]
    assert set(found["test"].get("services", {})) == DATABASE_SERVICES[database] | redis


@combinations
def test_workflow_points_migrations_and_tests_at_those_services(bake, database, storage):
    found = jobs(bake(database=database, rate_limit_storage=storage))
    expected_test_env = {}
    if database != "sqlite":
        expected_test_env["TEST_DATABASE_URL"] = DATABASE_URLS[database]
    if storage == "redis":
        expected_test_env["TEST_RATELIMIT_STORAGE_URI"] = "redis://localhost:6379/0"

    assert found["migrations"]["env"] == {"DATABASE_URL": DATABASE_URLS[database]}
    assert found["test"].get("env", {}) == expected_test_env


def test_migrations_job_upgrades_checks_and_downgrades(bake):
    runs = [step["run"] for step in jobs(bake())["migrations"]["steps"] if "run" in step]

    assert runs == [
        "make install",
        "make migrate",
        "make check",
        ".venv/bin/flask db downgrade base",
    ]


@pytest.mark.parametrize("python_version", ["3.11", "3.12", "3.13"])
def test_workflow_uses_the_chosen_python(bake, python_version):
    project = bake(python_version=python_version)

    setups = [
        step for step in steps(project) if step.get("uses", "").startswith("actions/setup-python")
    ]

    assert [step["with"]["python-version"] for step in setups] == [python_version] * 5


def test_github_expressions_survive_rendering(bake):
    workflow = load(bake(), WORKFLOW)

    assert workflow["concurrency"]["group"] == "${{ github.workflow }}-${{ github.ref }}"


def test_workflow_runs_only_make_targets_that_exist(bake):
    project = bake()
    targets = set(re.findall(r"(?m)^([a-z][a-z-]*):", (project / "Makefile").read_text()))

    used = {
        target
        for step in steps(project)
        for target in re.findall(r"\bmake ([a-z][a-z-]*)", step.get("run", ""))
    }

    assert used, "the workflow should run make targets"
    assert used <= targets


def test_workflow_shell_steps_pass_shellcheck(bake, tmp_path):
    # actionlint would run shellcheck on these too; its PyPI wrapper downloads its binary at
    # install time, which this test environment cannot do.
    scripts = [step["run"] for step in steps(bake()) if "run" in step]
    for number, script in enumerate(scripts):
        path = tmp_path / f"step{number}.sh"
        path.write_text(f"#!/bin/bash\nset -e\n{script}\n")
        result = run([str(TOOLS / "shellcheck"), str(path)], tmp_path)
        assert result.returncode == 0, result.stdout


# Dependabot


@pytest.mark.parametrize("docker", [False, True], ids=["nodocker", "docker"])
def test_dependabot_config_follows_its_schema(bake, docker):
    result = check_schema("vendor.dependabot", DEPENDABOT, bake(use_docker=docker))

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("docker", "ecosystems"),
    [
        (False, ["pip", "github-actions"]),
        (True, ["pip", "github-actions", "docker", "docker-compose"]),
    ],
    ids=["nodocker", "docker"],
)
def test_dependabot_watches_docker_images_only_with_docker(bake, docker, ecosystems):
    updates = load(bake(use_docker=docker), DEPENDABOT)["updates"]

    assert [update["package-ecosystem"] for update in updates] == ecosystems


# pre-commit


def test_pre_commit_config_is_valid(bake):
    project = bake()

    result = run([str(TOOLS / "pre-commit"), "validate-config", ".pre-commit-config.yaml"], project)

    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_hooks_are_pinned_to_release_tags(bake):
    repos = load(bake(), Path(".pre-commit-config.yaml"))["repos"]

    assert [repo["rev"] for repo in repos if not RELEASE_TAG.fullmatch(repo["rev"])] == []
    assert {hook["id"] for repo in repos for hook in repo["hooks"]} == {
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-yaml",
        "check-toml",
        "detect-private-key",
        "check-added-large-files",
        "ruff-check",
        "ruff-format",
    }


def test_pre_commit_runs_the_pinned_ruff(bake):
    project = bake()
    repos = load(project, Path(".pre-commit-config.yaml"))["repos"]
    pins = dict(
        line.split("==", 1)
        for line in (project / "requirements-dev.txt").read_text().splitlines()
        if "==" in line
    )

    [ruff] = [repo for repo in repos if repo["repo"].endswith("/ruff-pre-commit")]

    assert ruff["rev"] == f"v{pins['ruff']}"


# mypy on the seams


@pytest.mark.slow
@pytest.mark.parametrize("capabilities", [ALL_ON, ALL_OFF], ids=["all-on", "all-off"])
@combinations
def test_mypy_passes_on_services_and_repositories(bake, database, storage, capabilities):
    project = bake(database=database, rate_limit_storage=storage, **capabilities)

    result = run([str(project_venv(project) / "bin" / "mypy")], project)

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Success: no issues found in \d+ source files", result.stdout)


@pytest.mark.slow
def test_mypy_reports_a_type_error_in_a_service(bake):
    project = bake()
    service = project / "app" / "users" / "service.py"
    service.write_text(f'{service.read_text()}\n\ndef broken() -> int:\n    return "one"\n')

    result = run([str(project_venv(project) / "bin" / "mypy")], project)

    assert result.returncode == 1
    assert "app/users/service.py" in result.stdout
    assert "[return-value]" in result.stdout


# gunicorn.conf.py


def gunicorn_settings(project: Path, **env: str) -> dict[str, str]:
    """The settings gunicorn ends up with from gunicorn.conf.py (and `env`), as it prints them."""
    gunicorn = str(project_venv(project) / "bin" / "gunicorn")
    result = run([gunicorn, "--print-config", "wsgi:app"], project, env)
    assert result.returncode == 0, result.stderr
    pairs = (line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    return {name.strip(): value.strip() for name, value in pairs}


@pytest.mark.slow
def test_gunicorn_reads_its_settings_from_the_environment(bake):
    settings = gunicorn_settings(
        bake(),
        PORT="9001",
        WEB_CONCURRENCY="5",
        GUNICORN_THREADS="3",
        GUNICORN_TIMEOUT="40",
        GUNICORN_GRACEFUL_TIMEOUT="20",
        GUNICORN_CMD_ARGS="--keep-alive 7",
    )

    chosen = {name: settings[name] for name in ("bind", "workers", "threads", "timeout")}
    assert chosen == {"bind": "['0.0.0.0:9001']", "workers": "5", "threads": "3", "timeout": "40"}
    assert (settings["graceful_timeout"], settings["keepalive"]) == ("20", "7")


@pytest.mark.slow
def test_gunicorn_bind_wins_over_port_and_defaults_are_sane(bake):
    project = bake()

    defaults = gunicorn_settings(project)
    bound = gunicorn_settings(project, BIND="127.0.0.1:8123", PORT="9001")
    # Counters in one process's memory hold as written only in one worker; shared, several.
    in_memory = gunicorn_settings(project, RATELIMIT_STORAGE_URI="memory://")
    unlimited = gunicorn_settings(
        project, RATELIMIT_ENABLED="false", RATELIMIT_STORAGE_URI="memory://"
    )

    assert (defaults["bind"], defaults["workers"], defaults["threads"]) == (
        "['0.0.0.0:8000']",
        "2",
        "1",
    )
    assert (in_memory["workers"], in_memory["threads"]) == ("1", "4")
    assert (unlimited["workers"], unlimited["threads"]) == ("2", "1")
    assert (defaults["timeout"], defaults["graceful_timeout"], defaults["keepalive"]) == (
        "30",
        "30",
        "5",
    )
    assert bound["bind"] == "['127.0.0.1:8123']"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("settings", "trusted"),
    [
        ({"TRUSTED_PROXY_HOPS": "0"}, "[]"),
        ({"TRUSTED_PROXY_HOPS": "2"}, "['*']"),
        ({"TRUSTED_PROXY_HOPS": "1", "FORWARDED_ALLOW_IPS": "10.0.0.1"}, "['10.0.0.1']"),
    ],
    ids=["no-proxy-trusts-none", "proxy-trusts-the-peer", "explicit-list-wins"],
)
def test_gunicorn_trusts_forwarded_headers_as_far_as_the_app(bake, settings, trusted):
    assert gunicorn_settings(bake(), **settings)["forwarded_allow_ips"] == trusted


def json_line(line: str) -> dict:
    try:
        return json.loads(line)
    except ValueError:
        pytest.fail(f"not a JSON log line: {line!r}")


def get(url: str, request_id: str | None = None) -> tuple[int, str]:
    """GET `url`; return the status and the X-Request-ID the app answered with."""
    request = urllib.request.Request(url)
    if request_id:
        request.add_header("X-Request-ID", request_id)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["X-Request-ID"]
    except urllib.error.HTTPError as error:
        return error.code, error.headers["X-Request-ID"]


@pytest.mark.slow
def test_the_app_writes_one_json_access_line_per_request_under_gunicorn(bake, tmp_path):
    project = bake()
    venv = project_venv(project)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "FLASK_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        **PRODUCTION_MAIL,
        **PRODUCTION_TOTP_KEY,
        "WEB_CONCURRENCY": "3",
        "BIND": f"127.0.0.1:{port}",
        # gunicorn's default control socket is one path under $HOME, shared by every run.
        "GUNICORN_CMD_ARGS": "--no-control-socket",
    }
    migrated = run([str(venv / "bin" / "flask"), "db", "upgrade"], project, env)
    assert migrated.returncode == 0, migrated.stderr
    log = tmp_path / "gunicorn.log"
    command = [str(venv / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"]

    with running(command, project, env, log) as server:
        wait_for_http(f"{base}/ready")
        answers = [
            ("GET", "/health", *get(f"{base}/health", "tooling-check-1")),
            ("GET", "/health", *get(f"{base}/health")),
            ("GET", "/missing", *get(f"{base}/missing", "tooling-check-3")),
        ]

    assert server.returncode == 0, log.read_text()
    lines = [json_line(line) for line in log.read_text().splitlines() if line.strip()]
    access = [line for line in lines if "method" in line and line["path"] != "/ready"]
    # Each worker writes its line after answering, so lines from two workers may come in
    # either order: compare them as a set of requests, not as a sequence.
    assert sorted(
        (line["method"], line["path"], line["status"], line["request_id"]) for line in access
    ) == sorted(answers)
    assert answers[0][3] == "tooling-check-1"
    for line in access:
        assert line["logger"] == "app.access"
        assert line["level"] == "INFO"
        assert line["message"] == f"{line['method']} {line['path']} {line['status']}"
        assert isinstance(line["duration_ms"], float)
        assert line["duration_ms"] >= 0
        assert line["timestamp"]
    booted = [line for line in lines if line["message"].startswith("Booting worker with pid")]
    assert len(booted) == 3
