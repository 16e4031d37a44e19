"""The rendered README's guide to adding a resource, followed step by step on a fresh render.

Each step of the guide is one of: a new file, an addition at the end of a file, lines inserted
after a named line, or shell commands (the migration and the checks). Whatever the guide says is
done as written; the render's own suite, lint and type check must then pass. A render with
background jobs adds a task to the resource and its tests, so the guide is followed on both.
"""

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import project_venv

GUIDE = re.compile(r"^### Adding a resource, end to end\n(?P<text>.*?)^## ", re.M | re.S)
STEP = re.compile(
    r"(?:New file `(?P<new>[^`]+)`|Append to `(?P<append>[^`]+)`"
    r"|In `(?P<path>[^`]+)`, after the line `(?P<anchor>[^`]+)`)"
    r"[^`]*?```[a-z]*\n(?P<code>.*?)```"
    r"|```bash\n(?P<shell>.*?)```",
    re.S,
)


def guide_steps(readme: str) -> list[re.Match[str]]:
    guide = GUIDE.search(readme)
    assert guide, "the README has no resource guide"
    return list(STEP.finditer(guide["text"]))


def insert_after(path: Path, anchor: str, code: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    at = next((n for n, line in enumerate(lines) if line.strip() == anchor), None)
    assert at is not None, f"{path.name} has no line {anchor!r}"
    lines.insert(at + 1, code)
    path.write_text("".join(lines))


def run_in(
    project: Path, env: dict[str, str], command: list[str]
) -> subprocess.CompletedProcess[str]:
    """Run `command` in `project` with exactly `env`, capturing its output."""
    return subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def follow(step: re.Match[str], project: Path, env: dict[str, str]) -> None:
    if step["shell"]:
        result = run_in(project, env, ["bash", "-euo", "pipefail", "-c", step["shell"]])
        assert result.returncode == 0, step["shell"] + result.stdout[-3000:] + result.stderr[-3000:]
        return
    if step["new"]:
        target = project / step["new"]
        assert not target.exists(), f"{step['new']} exists already"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(step["code"])
    elif step["append"]:
        target = project / step["append"]
        target.write_text(f"{target.read_text().rstrip()}\n\n\n{step['code']}")
    else:
        insert_after(project / step["path"], step["anchor"], step["code"])


# The files the guide touches, whatever the answers; and what background jobs add to them.
TOUCHED = {
    "app/notes/models.py",
    "app/notes/schemas.py",
    "app/notes/repository.py",
    "app/notes/service.py",
    "app/notes/routes.py",
    "app/__init__.py",
    "app/config.py",
    "tests/routes/test_note_routes.py",
}
JOBS = {"none": set(), "celery": {"app/notes/tasks.py", "tests/test_note_tasks.py"}}
background_jobs = pytest.mark.parametrize("jobs", list(JOBS))


def new_tests(steps: list[re.Match[str]]) -> list[str]:
    """The test files the guide creates."""
    return [step["new"] for step in steps if (step["new"] or "").startswith("tests/")]


@background_jobs
def test_the_guide_touches_every_layer_in_eight_files_and_the_task_in_two(bake, jobs):
    touched = {
        step["new"] or step["append"] or step["path"]
        for step in guide_steps((bake(background_jobs=jobs) / "README.md").read_text())
        if not step["shell"]
    }

    assert touched == TOUCHED | JOBS[jobs]


@pytest.mark.slow
@background_jobs
def test_a_resource_added_as_the_guide_says_passes_the_suite_lint_and_types(bake, tmp_path, jobs):
    project = bake(background_jobs=jobs)
    venv = project_venv(project)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "VENV": str(venv),  # the Makefile's virtualenv
        "FLASK_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
        "HOME": str(tmp_path),
    }
    steps = guide_steps((project / "README.md").read_text())
    assert len(steps) > 10

    follow_setup = subprocess.run(
        ["make", "migrate"], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert follow_setup.returncode == 0, follow_setup.stderr
    for step in steps:
        follow(step, project, env)

    migrations = sorted((project / "migrations" / "versions").glob("*_create_notes.py"))
    assert len(migrations) == 1
    assert '"notes"' in migrations[0].read_text()
    # `make test` ran the guide's tests with the rest; run them alone to see that each passed.
    tests = new_tests(steps)
    written = sum((project / path).read_text().count("\ndef test_") for path in tests)
    pytest = [str(venv / "bin" / "pytest"), "-p", "no:cacheprovider", "--no-cov", "-q"]
    ran = run_in(project, env, [*pytest, *tests])
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert f"{written} passed" in ran.stdout, ran.stdout[-3000:]
