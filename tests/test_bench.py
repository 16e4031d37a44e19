"""bench/ stands on its own: it renders and sets up projects as a user does, never through the
template's test helpers."""

import ast
import sys

import pytest

from tests.conftest import ROOT, run

BENCH = sorted((ROOT / "bench").glob("*.py"))


def imported_modules(source: str) -> set[str]:
    """The top-level names of every module `source` imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("script", BENCH, ids=lambda path: path.name)
def test_bench_imports_nothing_from_tests(script):
    assert "tests" not in imported_modules(script.read_text())


def test_the_import_check_sees_both_forms_of_import():
    assert imported_modules("import tests.conftest\nfrom tests import x\n") == {"tests"}


def test_audit_cost_starts_without_the_tests_on_its_path():
    result = run([sys.executable, "bench/audit_cost.py", "--help"], cwd=ROOT)

    assert result.returncode == 0, result.stderr


def test_jobs_cost_starts_without_the_tests_on_its_path():
    result = run([sys.executable, "bench/jobs_cost.py", "--help"], cwd=ROOT)

    assert result.returncode == 0, result.stderr
