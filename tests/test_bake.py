"""Rendering: answers, files, markers, lint, secrets and the generation hooks."""

import fnmatch
import itertools
import json
import re
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ALL_OFF, ALL_ON, ROOT, run

# `${{ ... }}` is a GitHub Actions expression that must survive rendering, not a leftover.
MARKER = re.compile(r"(?<!\$)\{\{|\{%|\{#")
EXPECTED_FILES = [
    "README.md",
    "LICENSE",
    "Makefile",
    "pyproject.toml",
    ".env",
    ".env.sample",
    ".gitignore",
    "requirements.txt",
    "requirements-dev.txt",
    "wsgi.py",
    "scripts/stop.sh",
    "app/__init__.py",
    "app/extensions.py",
    "app/config.py",
    "app/errors.py",
    "app/core/api.py",
    "app/core/database.py",
    "app/core/fields.py",
    "app/core/logging.py",
    "app/capabilities.py",
    "app/environment.py",
    "app/core/events.py",
    "app/observability/metrics.py",
    *[
        f"app/{package}/{module}.py"
        for package in ("auth", "users", "audit", "twofactor", "apikeys")
        for module in ("models", "service", "repository", "routes", "schemas")
    ],
    "app/auth/tokens.py",
    "app/audit/cli.py",
    "migrations/env.py",
    "migrations/versions/0001_initial.py",
    "app/audit/migrations/0003_audit_events.py",
    "app/audit/migrations/0008_audit_order_and_seals.py",
    "app/audit/ordering.py",
    "app/audit/export.py",
    "app/audit/seals.py",
    "app/twofactor/migrations/0005_two_factor.py",
    "app/apikeys/migrations/0006_api_keys.py",
    "app/mail/migrations/0007_email_verifications.py",
    "app/twofactor/crypto.py",
    "tests/conftest.py",
    "tests/services/test_auth_service.py",
    "tests/helpers.py",
    "tests/routes/test_auth_routes.py",
]
RUFF = (
    str(ROOT / ".venv" / "bin" / "ruff") if (ROOT / ".venv" / "bin" / "ruff").exists() else "ruff"
)

ANSWER_SETS = {
    "defaults": {},
    "postgresql-redis-docker": {
        "database": "postgresql",
        "rate_limit_storage": "redis",
        "use_docker": True,
    },
    "mysql-memory": {"database": "mysql"},
    "sqlite-redis-docker-apache": {
        "rate_limit_storage": "redis",
        "use_docker": True,
        "open_source_license": "Apache-2.0",
    },
    "renamed-bsd-py311": {
        "project_name": "Billing Service",
        "project_slug": "billing-svc",
        "author_name": "Zoë O'Brien",
        "description": 'Bills "things"; quotes & <tags>',
        "python_version": "3.11",
        "open_source_license": "BSD-3-Clause",
    },
    # The capabilities' lists as the hook leaves them: empty, one entry, every entry.
    "all-off": ALL_OFF,
    "only-observability": {**ALL_OFF, "use_observability": True},
    "all-on": ALL_ON,
}


# Every database x storage x Docker combination, and each one deploy_target=kubernetes takes,
# besides the hand-picked answer sets above.
RENDERS = (
    ANSWER_SETS
    | {
        f"{database}-{storage}-{'docker' if docker else 'nodocker'}": {
            "database": database,
            "rate_limit_storage": storage,
            "use_docker": docker,
        }
        for database, storage, docker in itertools.product(
            ("sqlite", "postgresql", "mysql"), ("memory", "redis"), (False, True)
        )
    }
    | {
        f"{database}-{storage}-docker-kubernetes": {
            "database": database,
            "rate_limit_storage": storage,
            "use_docker": True,
            "deploy_target": "kubernetes",
        }
        for database, storage in itertools.product(("postgresql", "mysql"), ("memory", "redis"))
    }
)
KUBERNETES_FILES = [
    f"deploy/kubernetes/{name}"
    for name in (
        "base/kustomization.yaml",
        "base/configmap.yaml",
        "base/deployment.yaml",
        "base/service.yaml",
        "base/hpa.yaml",
        "base/pdb.yaml",
        "base/migrate-job.yaml",
        "base/purge-sessions-cronjob.yaml",
        "base/purge-audit-cronjob.yaml",
        "base/seal-audit-cronjob.yaml",
        "base/secret.example",
        "overlays/production/kustomization.yaml",
        "overlays/production/deployment.yaml",
        "overlays/production/hpa.yaml",
    )
]


def text_files(project: Path):
    for path in project.rglob("*"):
        if path.is_file() and ".venv" not in path.parts:
            yield path


def test_default_bake_is_named_after_the_slug_and_has_the_layout(bake):
    project = bake()

    assert project.name == "my_flask_api"
    missing = [name for name in EXPECTED_FILES if not (project / name).is_file()]
    assert missing == []


def test_kubernetes_bake_has_the_manifests_and_the_docker_files(bake):
    project = bake(**RENDERS["postgresql-redis-docker-kubernetes"])

    missing = [
        name
        for name in (*EXPECTED_FILES, *KUBERNETES_FILES, "Dockerfile", "docker/entrypoint.sh")
        if not (project / name).is_file()
    ]
    assert missing == []


def test_stop_script_is_an_executable_posix_sh_script_that_shellcheck_accepts(bake):
    script = bake() / "scripts" / "stop.sh"

    result = run([str(ROOT / ".venv" / "bin" / "shellcheck"), "--shell=sh", str(script)], ROOT)

    assert script.stat().st_mode & 0o111
    assert result.returncode == 0, result.stdout


def test_stop_script_refuses_to_stop_without_a_drain_file(bake, tmp_path):
    script = bake() / "scripts" / "stop.sh"
    env = {"GUNICORN_PIDFILE": str(tmp_path / "gunicorn.pid"), "DRAIN_FILE": ""}

    result = run([str(script)], tmp_path, env)

    assert result.returncode != 0
    assert "DRAIN_FILE is not set" in result.stderr


def test_custom_answers_reach_the_project(bake):
    project = bake(**ANSWER_SETS["renamed-bsd-py311"])

    assert project.name == "billing-svc"
    assert "BSD 3-Clause License" in (project / "LICENSE").read_text()
    assert "Zoë O'Brien" in (project / "LICENSE").read_text()
    assert 'name = "billing-svc"' in (project / "pyproject.toml").read_text()
    assert "# Billing Service" in (project / "README.md").read_text()


@pytest.mark.parametrize("name", ["Pg Shop", 'Zoë\'s "Shop" \\ API'])
def test_project_name_titles_the_readme_and_the_openapi_document(bake, name):
    project = bake(project_name=name, project_slug="shop")

    assert (project / "README.md").read_text().startswith(f"# {name}\n")
    app_settings = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["app"]
    assert app_settings["title"] == name  # the OpenAPI title (the render's suite checks its use)


@pytest.mark.parametrize("answers", RENDERS.values(), ids=RENDERS.keys())
def test_no_unrendered_markers_in_text_or_paths(bake, answers):
    project = bake(**answers)

    leftovers = [
        str(path.relative_to(project))
        for path in text_files(project)
        if MARKER.search(str(path.relative_to(project))) or MARKER.search(path.read_text())
    ]
    assert leftovers == []


def test_every_copy_without_render_pattern_names_template_files():
    """cookiecutter matches these against paths inside the project template, so a pattern that
    matches nothing there (such as one that starts with the project directory) is silently
    ignored and the files are compiled as Jinja after all."""
    template = ROOT / "{{cookiecutter.project_slug}}"
    paths = [str(path.relative_to(template)) for path in template.rglob("*")]
    patterns = json.loads((ROOT / "cookiecutter.json").read_text())["_copy_without_render"]

    unmatched = [pattern for pattern in patterns if not fnmatch.filter(paths, pattern)]

    assert unmatched == []


@pytest.mark.parametrize("answers", RENDERS.values(), ids=RENDERS.keys())
def test_render_passes_ruff_lint_and_format(bake, answers):
    project = bake(**answers)

    lint = run([RUFF, "check", "--no-cache", "."], cwd=project)
    fmt = run([RUFF, "format", "--check", "--no-cache", "."], cwd=project)

    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def cookiecutter_cli(*args: str, cwd: Path, env: dict[str, str] | None = None):
    command = [str(ROOT / ".venv" / "bin" / "cookiecutter"), "--no-input", *args]
    return run(command, cwd=cwd, env=env)


@pytest.mark.parametrize(
    ("answer", "value", "message"),
    [
        ("project_slug", "1bad", "project_slug '1bad' is invalid"),
        ("project_slug", "Bad Slug", "project_slug 'Bad Slug' is invalid"),
        ("author_email", "nope", "author_email 'nope' is not an e-mail address"),
        ("version", "banana", "version 'banana' is not a version"),
    ],
)
def test_bad_answer_fails_with_a_message_and_leaves_no_directory(tmp_path, answer, value, message):
    out = tmp_path / "out"
    out.mkdir()

    result = cookiecutter_cli(
        "-o", str(out), str(ROOT), f"{answer}={value}", "setup_environment=no", cwd=tmp_path
    )

    assert result.returncode != 0
    assert f"ERROR: {message}" in result.stdout + result.stderr
    assert list(out.iterdir()) == []


def test_two_renders_get_different_secrets_that_stay_in_env(bake):
    secrets = []
    for _ in range(2):
        project = bake()
        env_text = (project / ".env").read_text()
        pair = tuple(
            re.search(rf"^{n}=(.+)$", env_text, re.M).group(1)
            for n in ("SECRET_KEY", "JWT_SECRET_KEY")
        )
        secrets.append(pair)
        for value in pair:
            assert len(value) >= 43
            assert [
                p.name for p in text_files(project) if value in p.read_text(errors="ignore")
            ] == [".env"]
        assert ".env" in (project / ".gitignore").read_text().splitlines()
    assert secrets[0][0] != secrets[1][0]
    assert secrets[0][1] != secrets[1][1]


def test_secrets_are_not_in_the_replay_file(tmp_path):
    home = tmp_path / "home"
    config = tmp_path / "config.yaml"
    config.write_text(f"replay_dir: {tmp_path / 'replay'}\ncookiecutters_dir: {tmp_path / 'cc'}\n")
    result = cookiecutter_cli(
        "--config-file",
        str(config),
        "-o",
        str(tmp_path / "out"),
        str(ROOT),
        "setup_environment=no",
        cwd=tmp_path,
        env={"HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr

    env_text = (tmp_path / "out" / "my_flask_api" / ".env").read_text()
    secret = re.search(r"^SECRET_KEY=(.+)$", env_text, re.M).group(1)
    replays = list((tmp_path / "replay").glob("*.json"))
    assert replays
    for replay in replays:
        text = replay.read_text()
        json.loads(text)
        assert secret not in text


@pytest.mark.parametrize(
    ("answers", "present", "absent"),
    [
        ({}, [], ["psycopg", "pymysql", "redis=="]),
        ({"database": "postgresql"}, ["psycopg==", "psycopg-binary=="], ["pymysql", "redis=="]),
        (
            {"database": "mysql", "rate_limit_storage": "redis"},
            ["pymysql==", "redis=="],
            ["psycopg"],
        ),
    ],
    ids=["sqlite-memory", "postgresql-memory", "mysql-redis"],
)
def test_requirements_hold_only_the_chosen_drivers(bake, answers, present, absent):
    requirements = (bake(**answers) / "requirements.txt").read_text()

    assert [p for p in present if p not in requirements] == []
    assert [a for a in absent if a in requirements] == []


def test_memory_render_mentions_no_redis_setting(bake):
    project = bake()

    assert "redis://" not in (project / ".env.sample").read_text()
    assert "redis://" not in (project / "pyproject.toml").read_text()


def test_redis_render_configures_redis(bake):
    project = bake(rate_limit_storage="redis")

    assert "RATELIMIT_STORAGE_URI=redis://localhost:6379/0" in (project / ".env").read_text()
    assert (
        'ratelimit-storage-uri = "redis://localhost:6379/0"'
        in (project / "pyproject.toml").read_text()
    )


def test_not_open_source_has_no_license_file(bake):
    project = bake(open_source_license="Not open source")

    assert not (project / "LICENSE").exists()
    assert "license" not in (project / "pyproject.toml").read_text()


# A lock line: a normalized name, `==` one version, optionally an environment marker; uv's "via"
# comments (indented) and header are the only other lines.
PIN = re.compile(r"[a-z0-9][a-z0-9-]*==[0-9][0-9a-z.+!]*( ; [a-z_]+ [<>=!]=? '[^']+'.*)?")


def test_every_pin_is_exact(bake):
    project = bake(database="postgresql", rate_limit_storage="redis")
    for name in ("requirements.txt", "requirements-dev.txt"):
        lines = (project / name).read_text().splitlines()
        pins = [line for line in lines if not line.lstrip().startswith("#")]

        assert [pin for pin in pins if not PIN.fullmatch(pin)] == [], name
        assert len(pins) > 30
