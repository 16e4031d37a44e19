"""Every combination of answers renders a project whose own suite passes on the real services."""

import itertools
import re

import pytest

from tests.conftest import ALL_OFF, ALL_ON, REDIS_URL, fresh_database, project_venv, run

DATABASES = ("sqlite", "postgresql", "mysql")
STORAGES = ("memory", "redis")
# The defaults (every capability on but background jobs: the app's own mail sender), every one
# off, and every one on (Celery's worker and beat in place of the sender and the cron jobs).
CAPABILITIES = {"defaults": {}, "all-off": ALL_OFF, "all-on": ALL_ON}
# Celery on each database once, with the storage a deployment of it would pick (SQLite: the
# development set-up, with nothing but Redis for the queue).
CELERY_RENDERS = {("sqlite", "memory"), ("postgresql", "redis"), ("mysql", "redis")}
# Docker adds no Python the suite would run: test_bake lints those renders and test_docker runs
# the entrypoint, so the suite runs once per database x storage and set of capabilities.
MATRIX = [
    pytest.param(database, storage, capabilities, id=f"{database}-{storage}-{name}")
    for database, storage in itertools.product(DATABASES, STORAGES)
    for name, capabilities in CAPABILITIES.items()
    if name != "all-on" or (database, storage) in CELERY_RENDERS
]


@pytest.mark.slow
@pytest.mark.parametrize(("database", "storage", "capabilities"), MATRIX)
def test_rendered_suite_passes_on_the_chosen_services(bake, database, storage, capabilities):
    project = bake(database=database, rate_limit_storage=storage, **capabilities)
    venv = project_venv(project)
    env = {"TEST_RATELIMIT_STORAGE_URI": REDIS_URL if storage == "redis" else "memory://"}

    with fresh_database(database) as url:
        result = run(
            [str(venv / "bin" / "pytest"), "-p", "no:cacheprovider", "--cov-fail-under=90"],
            cwd=project,
            env={**env, "TEST_DATABASE_URL": url},
        )

    output = result.stdout + result.stderr
    # On a failure, what pytest says of it rather than the coverage table after it.
    failures = output.find("= FAILURES =")
    assert result.returncode == 0, (
        output[failures : failures + 6000] if failures >= 0 else output[-4000:]
    )
    summary = re.search(r"^=*\s*(\d+) passed(, \d+ warnings?)? in [\d.]+s\b.*$", output, re.M)
    assert summary, output[-2000:]  # only "N passed": nothing failed, skipped or errored
    # The full render has over 100 tests; the reference API alone has fewer, but some.
    assert int(summary.group(1)) >= (1 if capabilities == ALL_OFF else 100)


@pytest.mark.slow
@pytest.mark.parametrize("capabilities", [ALL_ON, ALL_OFF], ids=["all-on", "all-off"])
@pytest.mark.parametrize("database", DATABASES)
def test_migrations_upgrade_check_and_downgrade(bake, database, capabilities):
    project = bake(database=database, **capabilities)
    flask = str(project_venv(project) / "bin" / "flask")

    with fresh_database(database) as url:
        env = {"DATABASE_URL": url, "FLASK_ENV": "development"}
        for command in (
            ["db", "upgrade"],
            ["db", "check"],
            ["db", "downgrade", "base"],
            ["db", "upgrade"],
        ):
            result = run([flask, *command], cwd=project, env=env)
            assert result.returncode == 0, f"flask {' '.join(command)}:\n{result.stderr}"
        created = run(
            [
                flask,
                "users",
                "create-admin",
                "--email",
                "a@example.com",
                "--name",
                "Zoë 😀 مرحبا",
                "--password",
                "password123",
            ],
            cwd=project,
            env=env,
        )
        assert created.returncode == 0, created.stderr


def test_without_setup_environment_nothing_is_installed(bake):
    project = bake(setup_environment=False)

    assert not (project / ".venv").exists()
    assert not (project / "instance").exists()
