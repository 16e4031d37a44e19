"""The rendered requirements files are complete, consistent locks of the rendered pyproject.toml.

Nothing here asks a package index: each check reads the rendered files alone, so its verdict
cannot change unless a commit changes them. Whether re-locking today would give the same files
is `make lock-check`'s question (scripts/lock_requirements.py --check), asked by the template's
scheduled CI.
"""

import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.lock_requirements import (
    COMBINATIONS,
    LOCKS,
    condition,
    refresh_command,
    split_lock,
    versions,
)
from tests.conftest import ALL_OFF, ALL_ON, ROOT

# What each lock adds to [project] dependencies, and how uv names the project in "via" lines.
GROUPS = {"requirements.txt": None, "requirements-dev.txt": "dev"}
assert GROUPS.keys() == LOCKS.keys()


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: str
    via: frozenset[str]


def read_lock(text: str, project: str) -> list[Pin]:
    """Parse a uv lock into pins; "via" names the project as `project` (any group)."""
    pins = []
    for entry in split_lock(text)[1]:
        pin_line, *comments = entry.split("\n")
        requirement = Requirement(pin_line)
        [specifier] = requirement.specifier
        assert specifier.operator == "==", pin_line
        assert not requirement.extras, pin_line
        via = set()
        for comment in comments:
            name = comment.strip().removeprefix("#").strip().removeprefix("via").strip()
            if name:
                via.add(project if name.startswith(f"{project} (pyproject.toml") else name)
        pins.append(
            Pin(
                canonicalize_name(requirement.name),
                specifier.version,
                str(requirement.marker or ""),
                frozenset(canonicalize_name(name) for name in via),
            )
        )
    return pins


def declared(project: Path, lock: str) -> list[Requirement]:
    """The requirements the rendered pyproject.toml declares for `lock`."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    requirements = list(pyproject["project"]["dependencies"])
    if group := GROUPS[lock]:
        requirements += pyproject["dependency-groups"][group]
    return [Requirement(requirement) for requirement in requirements]


# All capabilities on (the locks as committed), and all off (the locks as the hook prunes them).
CAPABILITIES = {"all-on": ALL_ON, "all-off": ALL_OFF}
RENDERS = [
    pytest.param((database, storage, answers), id=f"{database}-{storage}-{name}")
    for database, storage in COMBINATIONS
    for name, answers in CAPABILITIES.items()
]


@pytest.fixture(scope="module", params=RENDERS)
def render(request, tmp_path_factory) -> Path:
    """One render per database x storage x capabilities, shared by this module's tests."""
    database, storage, capabilities = request.param
    output = tmp_path_factory.mktemp(f"lock-{database}-{storage}")
    return Path(
        cookiecutter(
            str(ROOT),
            no_input=True,
            output_dir=str(output),
            extra_context={
                "database": database,
                "rate_limit_storage": storage,
                "setup_environment": False,
                **capabilities,
            },
        )
    )


@pytest.mark.parametrize("lock", list(LOCKS))
def test_lock_pins_exactly_the_declared_distributions_at_allowed_versions(render, lock):
    slug = canonicalize_name(render.name)
    pins = read_lock((render / lock).read_text(), slug)
    requirements = declared(render, lock)

    direct = {pin.name for pin in pins if slug in pin.via}
    assert direct == {canonicalize_name(r.name) for r in requirements}
    for requirement in requirements:
        pinned = [p.version for p in pins if p.name == canonicalize_name(requirement.name)]
        assert all(requirement.specifier.contains(v, prereleases=True) for v in pinned), (
            requirement,
            pinned,
        )


@pytest.mark.parametrize("lock", list(LOCKS))
def test_every_pin_is_needed_by_the_project_through_pinned_packages(render, lock):
    slug = canonicalize_name(render.name)
    pins = read_lock((render / lock).read_text(), slug)
    pinned = {pin.name for pin in pins}

    assert all(pin.via and pin.via <= pinned | {slug} for pin in pins), [
        (pin.name, sorted(pin.via - pinned - {slug})) for pin in pins if pin.via - pinned - {slug}
    ]
    needed = {slug}
    while grown := {pin.name for pin in pins if pin.via & needed} - needed:
        needed |= grown
    assert pinned <= needed


@pytest.mark.parametrize("lock", list(LOCKS))
def test_a_package_has_one_pin_per_environment(render, lock):
    pins = read_lock((render / lock).read_text(), canonicalize_name(render.name))

    seen = [(pin.name, pin.marker) for pin in pins]
    assert len(seen) == len(set(seen))
    split = {pin.name for pin in pins if pin.marker}
    assert all(all(p.marker for p in pins if p.name == name) for name in split), (
        "a package pinned under a marker is also pinned unconditionally"
    )


def test_dev_lock_holds_the_runtime_lock_at_the_same_versions(render):
    runtime = versions((render / "requirements.txt").read_text())
    dev = versions((render / "requirements-dev.txt").read_text())

    assert {name: dev.get(name) for name in runtime} == runtime
    assert {"pytest", "ruff", "mypy"} <= dev.keys() - runtime.keys()


@pytest.mark.parametrize("lock", list(LOCKS))
def test_lock_header_shows_the_command_that_refreshes_it(render, lock):
    header = split_lock((render / lock).read_text())[0]

    assert f"#    {refresh_command(lock)}" in header
    assert refresh_command(lock) in (render / "README.md").read_text()


def test_refresh_command_compiles_the_pyproject_into_the_lock():
    for lock in LOCKS:
        command = shlex.split(refresh_command(lock))
        assert command[:4] == ["uv", "pip", "compile", "pyproject.toml"]
        assert command[-2:] == ["-o", lock]
        assert "--universal" in command


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
