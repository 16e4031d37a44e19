"""The rendered requirements files are complete uv locks of the rendered pyproject.toml.

The lock tests need the package index: they run the refresh command each file's header shows,
as of the template's EXCLUDE_NEWER (`scripts/lock_requirements.py`, `make lock`).
"""

import shlex
from pathlib import Path

import pytest
from uv import find_uv_bin

from scripts.lock_requirements import (
    COMBINATIONS,
    EXCLUDE_NEWER,
    LOCKS,
    condition,
    pins,
    split_lock,
    versions,
)
from tests.conftest import run

combinations = pytest.mark.parametrize(
    ("database", "storage"), COMBINATIONS, ids=[f"{d}-{s}" for d, s in COMBINATIONS]
)


def refresh_command(lock: str) -> list[str]:
    """The command in a lock's header that refreshes it."""
    [command] = [line[1:].strip() for line in split_lock(lock)[0] if "uv pip compile" in line]
    return shlex.split(command)


def relock(project: Path, name: str, output: Path) -> str:
    """Run `name`'s refresh command in `project` as of EXCLUDE_NEWER, writing to `output`."""
    command = refresh_command((project / name).read_text())
    assert command[:3] == ["uv", "pip", "compile"]
    assert command[-2:] == ["-o", name]
    result = run(
        [find_uv_bin(), *command[1:-2], "--exclude-newer", EXCLUDE_NEWER, "-o", str(output)],
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    return output.read_text()


@combinations
@pytest.mark.parametrize("name", list(LOCKS))
def test_requirements_file_is_the_lock_of_the_declared_dependencies(
    bake, tmp_path, database, storage, name
):
    project = bake(database=database, rate_limit_storage=storage)

    relocked = relock(project, name, tmp_path / name)

    assert pins((project / name).read_text()) == pins(relocked)


@combinations
def test_dev_lock_holds_the_runtime_lock_at_the_same_versions(bake, database, storage):
    project = bake(database=database, rate_limit_storage=storage)
    runtime = versions((project / "requirements.txt").read_text())
    dev = versions((project / "requirements-dev.txt").read_text())

    assert {name: dev.get(name) for name in runtime} == runtime
    assert {"pytest", "ruff", "mypy"} <= dev.keys() - runtime.keys()


def test_readme_gives_the_refresh_commands_the_locks_show(bake):
    project = bake()
    readme = (project / "README.md").read_text()

    for name in LOCKS:
        command = shlex.join(refresh_command((project / name).read_text()))
        assert command in readme


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (
            {("postgresql", "memory"), ("postgresql", "redis")},
            'cookiecutter.database == "postgresql"',
        ),
        (
            {(d, s) for d in ("sqlite", "mysql") for s in ("memory", "redis")},
            'cookiecutter.database != "postgresql"',
        ),
        (
            {(d, "redis") for d in ("sqlite", "postgresql", "mysql")},
            'cookiecutter.rate_limit_storage == "redis"',
        ),
        (
            {("mysql", "redis")},
            'cookiecutter.database == "mysql" and cookiecutter.rate_limit_storage == "redis"',
        ),
    ],
    ids=["one-database", "all-databases-but-one", "one-storage", "both"],
)
def test_lock_script_writes_the_narrowest_condition(where, expected):
    assert condition(where) == expected


def test_lock_script_refuses_a_set_no_condition_on_database_and_storage_selects():
    with pytest.raises(SystemExit):
        condition({("sqlite", "memory"), ("mysql", "redis")})
