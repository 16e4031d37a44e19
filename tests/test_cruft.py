"""cruft: a generated project records the template and its answers, notices when the template
moves on, and takes the change with `cruft update`; the generation hooks run under cruft too."""

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, run

CRUFT = str(Path(sys.executable).parent / "cruft")
NO_SETUP = json.dumps({"setup_environment": False})
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}
NEW_LINE = "A line that a later version of the template adds."


def git(cwd: Path, *args: str) -> str:
    result = run(["git", "-c", "commit.gpgsign=false", *args], cwd, GIT_IDENTITY)
    assert result.returncode == 0, result.stderr
    return result.stdout


def cruft(cwd: Path, *args: str):
    return run([CRUFT, *args], cwd)


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This template's working tree, committed to a repository of its own (cruft needs git)."""
    copy = tmp_path_factory.mktemp("cruft") / "template"
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # a tracked file deleted in the working tree is listed too
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    git(copy, "init", "-q", "-b", "main")
    commit_all(copy, "Template")
    return copy


@pytest.fixture
def template(template_repo: Path) -> Iterator[Path]:
    """The module's template repository; whatever a test commits to it is undone afterwards."""
    start = git(template_repo, "rev-parse", "HEAD").strip()
    yield template_repo
    git(template_repo, "reset", "-q", "--hard", start)


def move_template_on(template: Path) -> str:
    """Commit a change to the rendered README; return the new commit."""
    readme = template / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(f"{readme.read_text()}\n{NEW_LINE}\n")
    return commit_all(template, "Add a line to the README")


def as_repository(project: Path) -> Path:
    """Commit the project, as its owner would: cruft update needs a clean work tree."""
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "Generated")
    return project


@pytest.fixture(scope="module")
def created(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project made once per module with `cruft create` from the template, committed."""
    out = tmp_path_factory.mktemp("created")
    result = cruft(
        out,
        "create",
        "--no-input",
        "--output-dir",
        str(out),
        "--extra-context",
        NO_SETUP,
        str(template_repo),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return as_repository(out / "my_flask_api")


@pytest.fixture
def project(created: Path, template: Path, tmp_path: Path) -> Path:
    """A copy of the module's cruft-made project (with its git history), for one test to change."""
    copy = tmp_path / "my_flask_api"
    shutil.copytree(created, copy, symlinks=True)
    return copy


def test_cruft_create_records_the_template_commit_and_the_answers(template, project):
    state = json.loads((project / ".cruft.json").read_text())
    answers = state["context"]["cookiecutter"]

    assert (state["template"], state["commit"]) == (
        str(template),
        git(template, "rev-parse", "HEAD").strip(),
    )
    assert (answers["database"], answers["use_docker"], answers["setup_environment"]) == (
        "sqlite",
        False,
        False,
    )


def test_cruft_create_runs_the_generation_hooks(project):
    env = (project / ".env").read_text()

    assert "SECRET_KEY=change-me" not in env  # the post-generation hook wrote real secrets
    assert not (project / "Dockerfile").exists()  # and removed the files of unchosen options
    assert not (project / ".venv").exists()


def test_cruft_check_passes_on_a_fresh_project(project):
    result = cruft(project, "check")

    assert result.returncode == 0, result.stdout


def test_cruft_check_fails_once_the_template_moves_on(template, project):
    move_template_on(template)

    result = cruft(project, "check")

    assert result.returncode == 1
    assert "out of date" in result.stdout


def test_cruft_update_applies_the_template_change(template, project):
    new_commit = move_template_on(template)

    result = cruft(project, "update", "--skip-apply-ask", "--allow-untracked-files")

    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "README.md").read_text().endswith(f"\n{NEW_LINE}\n")
    assert json.loads((project / ".cruft.json").read_text())["commit"] == new_commit
    assert cruft(project, "check").returncode == 0


def test_cruft_update_leaves_the_secrets_and_environment_alone(template, project):
    env_before = (project / ".env").read_text()
    move_template_on(template)

    cruft(project, "update", "--skip-apply-ask", "--allow-untracked-files")

    # Every render writes fresh secrets; [tool.cruft] skip keeps them out of the update.
    assert (project / ".env").read_text() == env_before
    assert sorted(path.name for path in project.rglob("*.rej")) == []
    changed = git(project, "status", "--porcelain").splitlines()
    assert sorted(line[3:] for line in changed) == [".cruft.json", "README.md"]


def test_cruft_link_adopts_a_project_made_with_plain_cookiecutter(template, tmp_path):
    result = run(
        [
            str(Path(sys.executable).parent / "cookiecutter"),
            "--no-input",
            "--output-dir",
            str(tmp_path / "plain"),
            str(template),
            "setup_environment=no",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    project = as_repository(tmp_path / "plain" / "my_flask_api")

    linked = cruft(project, "link", "--no-input", "--extra-context", NO_SETUP, str(template))
    assert linked.returncode == 0, linked.stdout + linked.stderr
    assert cruft(project, "check").returncode == 0

    commit_all(project, "Link to the template")
    move_template_on(template)
    updated = cruft(project, "update", "--skip-apply-ask", "--allow-untracked-files")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert NEW_LINE in (project / "README.md").read_text()
