"""After rendering: drop files for options that are off, write .env with fresh secrets, and
(optionally) create .venv, install the pinned requirements, create the database and migrate."""

import os
import platform
import secrets
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import NamedTuple

SECRET_NAMES = ("SECRET_KEY", "JWT_SECRET_KEY")
SECRET_BYTES = 48
DOCKER_FILES = (
    "Dockerfile",
    ".dockerignore",
    "docker-compose.yml",
    "docker",
    # CI's image job: build, start with compose, check the image.
    ".github/compose-ci.yml",
    "scripts/ci/write_env.sh",
    "scripts/ci/image_has_no_secrets.sh",
)
# deploy/ and CI's kind job: the cluster's servers, the Secret, the restart under load.
KUBERNETES_FILES = (
    "deploy",
    ".github/kind",
    "scripts/ci/secret_env.sh",
    "scripts/ci/restart_under_load.sh",
    "scripts/ci/request_loop.py",
)
STEP_TIMEOUT = 900
# What each command a user may have to run by hand does, for the printed next steps.
BY_HAND = {
    "make install": ".venv with the pinned requirements",
    "make migrate": "flask db create (when missing), then flask db upgrade",
}


class Step(NamedTuple):
    """One set-up command, and the command that does its work by hand."""

    name: str  # the command as a user would type it
    command: list[str]
    by_hand: str
    needs: str = ""  # what must be true before running it again


def remove_paths(project: Path, names: tuple[str, ...]) -> None:
    """Delete each named file or folder under `project`, if present."""
    for name in names:
        path = project / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def remove_unused_files(
    project: Path, use_docker: bool, license_name: str, deploy_target: str
) -> None:
    """Remove whole files that belong to options that were not chosen."""
    if not use_docker:
        remove_paths(project, DOCKER_FILES)
    if deploy_target != "kubernetes":
        remove_paths(project, KUBERNETES_FILES)
    if license_name == "Not open source":
        remove_paths(project, ("LICENSE",))


def generate_secrets(names: tuple[str, ...] = SECRET_NAMES) -> dict[str, str]:
    """Return a fresh, independent, URL-safe random value for each setting in `names`."""
    return {name: secrets.token_urlsafe(SECRET_BYTES) for name in names}


def secret_names(use_docker: bool, database: str) -> tuple[str, ...]:
    """The settings to fill with secrets: the app's, plus the compose database password."""
    if use_docker and database != "sqlite":
        return (*SECRET_NAMES, "DB_PASSWORD")
    return SECRET_NAMES


def write_env_file(project: Path, values: dict[str, str]) -> Path:
    """Copy .env.sample to .env with `values` filled in; only the owner may read .env."""
    lines = (project / ".env.sample").read_text(encoding="utf-8").splitlines(keepends=True)
    for name, value in values.items():
        found = [index for index, line in enumerate(lines) if line.startswith(f"{name}=")]
        if len(found) != 1:
            raise RuntimeError(f"{name} must appear exactly once in .env.sample")
        lines[found[0]] = f"{name}={value}\n"
    env_file = project / ".env"
    # Created owner-only, so the secrets are never readable by others, not even for a moment.
    descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8") as env:
        env.write("".join(lines))
    env_file.chmod(0o600)
    return env_file


def find_python(version: str) -> str:
    """Pick python<version> for .venv if it runs here, else the interpreter running this hook."""
    candidate = shutil.which(f"python{version}")
    if candidate:
        try:
            probe = subprocess.run([candidate, "-c", "pass"], capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            probe = None
        if probe is not None and probe.returncode == 0:
            return candidate
    return sys.executable


def venv_python_note(version: str, python: str, project: Path) -> str | None:
    """One line naming the Python .venv gets instead of python<version>; None if it gets that."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if python != sys.executable or running == version:
        return None
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    return (
        f"python{version} is not installed here: .venv gets Python {platform.python_version()}"
        f" ({sys.executable}), which requires-python {pyproject['project']['requires-python']}"
        f" admits; the Docker image and CI run {version}."
    )


def setup_steps(project: Path, python: str, uv: str | None, database: str) -> list[Step]:
    """The commands that create .venv, install the pinned requirements, create the database
    (on a server) and migrate."""
    venv = project / ".venv"
    venv_python = str(venv / "bin" / "python")
    flask = str(venv / "bin" / "flask")
    if uv:
        create = [uv, "venv", "--quiet", "--python", python, str(venv)]
        install = [uv, "pip", "install", "--quiet", "--python", venv_python]
    else:
        create = [python, "-m", "venv", str(venv)]
        install = [venv_python, "-m", "pip", "install", "--quiet"]
    server = "once the database server in DATABASE_URL (.env) accepts connections"
    steps = [
        Step("uv venv" if uv else "python -m venv", create, "make install"),
        Step(
            "pip install -r requirements-dev.txt",
            [*install, "-r", str(project / "requirements-dev.txt")],
            "make install",
        ),
    ]
    if database != "sqlite":
        steps.append(Step("flask db create", [flask, "db", "create"], "make migrate", server))
    steps.append(Step("flask db upgrade", [flask, "db", "upgrade"], "make migrate", server))
    return steps


def failure_of(command: list[str], project: Path, env: dict[str, str]) -> str | None:
    """Run `command`; None if it succeeded, else the last line it printed (never a traceback)."""
    try:
        result = subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if result.returncode == 0:
        return None
    lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
    last = lines[-1].strip() if lines else f"exit status {result.returncode}"
    return last.removeprefix("Error: ")


def unique(commands: list[str]) -> list[str]:
    return list(dict.fromkeys(commands))


def set_up_environment(project: Path, slug: str, steps: list[Step]) -> list[str]:
    """Run `steps` in order; return the commands left to run by hand (none when all ran).

    On a failure, print one short paragraph: what failed, and the exact commands to finish.
    """
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("VIRTUAL_ENV", None)
    for index, step in enumerate(steps):
        failure = failure_of(step.command, project, env)
        if failure is None:
            continue
        left = unique([later.by_hand for later in steps[index:]])
        when = f"{step.needs}, " if step.needs else ""
        print(f"\nSet-up stopped: {step.name} failed: {failure}")
        print(f"The project is generated; {when}finish with: cd {slug} && {' && '.join(left)}")
        return left
    return []


def next_steps(slug: str, left: list[str]) -> str:
    """The short guide printed at the end of generation; `left` are the set-up commands to run."""
    lines = [f"\nProject created in ./{slug}", f"  cd {slug}"]
    lines += [f"  {command:<24} # {BY_HAND[command]}" for command in left]
    lines += [
        "  .venv/bin/flask users create-admin --email you@example.com --name You",
        "  make run                 # http://127.0.0.1:5000",
        "  make test                # the project's own tests",
        "Secrets for development are in .env (git-ignored); set real ones in production.",
    ]
    return "\n".join(lines)


def main() -> None:
    project = Path.cwd()
    slug = r"""{{ cookiecutter.project_slug }}"""
    database = r"""{{ cookiecutter.database }}"""
    use_docker = r"""{{ cookiecutter.use_docker }}""" == "True"
    remove_unused_files(
        project,
        use_docker=use_docker,
        license_name=r"""{{ cookiecutter.open_source_license }}""",
        deploy_target=r"""{{ cookiecutter.deploy_target }}""",
    )
    write_env_file(project, generate_secrets(secret_names(use_docker, database)))
    left = list(BY_HAND)
    if r"""{{ cookiecutter.setup_environment }}""" == "True":
        version = r"""{{ cookiecutter.python_version }}"""
        python = find_python(version)
        if note := venv_python_note(version, python, project):
            print(note)
        steps = setup_steps(project, python, shutil.which("uv"), database)
        left = set_up_environment(project, slug, steps)
    print(next_steps(slug, left))


if __name__ == "__main__":
    main()
