"""The rendered README's guide to adding a resource, followed step by step on a fresh render.

Each step of the guide is one of: a new file, an addition at the end of a file, lines inserted
after a named line, or shell commands (the migration and the checks). Whatever the guide says is
done as written; the render's own suite, lint and type check must then pass.
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


def follow(step: re.Match[str], project: Path, env: dict[str, str]) -> None:
    if step["shell"]:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", step["shell"]],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
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


def test_the_guide_touches_every_layer_in_eight_files(bake):
    touched = {
        step["new"] or step["append"] or step["path"]
        for step in guide_steps((bake() / "README.md").read_text())
        if not step["shell"]
    }

    assert touched == {
        "app/notes/models.py",
        "app/notes/schemas.py",
        "app/notes/repository.py",
        "app/notes/service.py",
        "app/notes/routes.py",
        "app/__init__.py",
        "app/config.py",
        "tests/routes/test_note_routes.py",
    }


@pytest.mark.slow
def test_a_resource_added_as_the_guide_says_passes_the_suite_lint_and_types(bake, tmp_path):
    project = bake()
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
