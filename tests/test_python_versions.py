"""The default answers on every other offered Python found here: the render's own suite, lint and
types, in a virtualenv of that interpreter. The running interpreter's version is covered by
test_render_matrix.py and test_project_tooling.py, so it is not run again here."""

import glob
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import ANSWERS, ROOT, fresh_database, project_venv, run

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"
VERSIONS = [version for version in ANSWERS["python_version"] if version != RUNNING]
CHECKS = {
    "suite": ["pytest", "-p", "no:cacheprovider", "--cov-fail-under=90"],
    "lint": ["ruff", "check", "."],
    "format": ["ruff", "format", "--check", "."],
    "types": ["mypy"],
}


def find_python(version: str) -> str | None:
    """python<version> that runs: on PATH, else pyenv's own build of it (its shim may refuse)."""
    root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    builds = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"), reverse=True)
    for candidate in filter(None, [shutil.which(f"python{version}"), *builds]):
        if run([candidate, "-c", "pass"], ROOT, timeout=30).returncode == 0:
            return candidate
    return None


@pytest.mark.slow
@pytest.mark.parametrize("version", VERSIONS)
def test_default_render_passes_its_suite_lint_and_types_on_python(bake, version):
    python = find_python(version)
    if python is None:
        pytest.skip(f"python{version} is not installed here (neither on PATH nor in pyenv)")
    project = bake(python_version=version)
    bin_dir = project_venv(project, python) / "bin"
    version_of = "import platform; print(platform.python_version())"
    interpreter = run([str(bin_dir / "python"), "-c", version_of], project)
    assert interpreter.stdout.startswith(f"{version}."), interpreter.stdout + interpreter.stderr

    failed = {}
    with fresh_database("sqlite") as url:
        env = {"TEST_DATABASE_URL": url, "TEST_RATELIMIT_STORAGE_URI": "memory://"}
        for name, (tool, *args) in CHECKS.items():
            result = run([str(bin_dir / tool), *args], project, env=env)
            if result.returncode != 0:
                failed[name] = (result.stdout + result.stderr)[-2000:]

    assert failed == {}
