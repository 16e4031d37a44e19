"""After rendering: drop files for options that are off, write .env with fresh secrets, and
(optionally) create .venv, install the pinned requirements and run the first migration."""

import binascii
import os
import sys

# This script runs in a fresh interpreter on every render: it imports only what the default
# path needs (no re, pathlib, shutil or subprocess, which cost more than the work itself) and
# leaves the set-up's imports to the set-up.
SECRET_NAMES = ("SECRET_KEY", "JWT_SECRET_KEY")
SECRET_BYTES = 48
DOCKER_FILES = ("Dockerfile", ".dockerignore", "docker-compose.yml", "docker")
STEP_TIMEOUT = 900
URLSAFE = str.maketrans("+/", "-_")


def remove_tree(path: str) -> None:
    """Delete a folder and everything in it (no symlinks are followed)."""
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files:
            os.remove(os.path.join(root, name))
        for name in dirs:
            target = os.path.join(root, name)
            if os.path.islink(target):
                os.remove(target)
            else:
                os.rmdir(target)
    os.rmdir(path)


def remove_paths(project: str | os.PathLike[str], names: tuple[str, ...]) -> None:
    """Delete each named file or folder under `project`, if present."""
    for name in names:
        path = os.path.join(project, name)
        if os.path.isdir(path) and not os.path.islink(path):
            remove_tree(path)
        elif os.path.lexists(path):
            os.remove(path)


def remove_unused_files(
    project: str | os.PathLike[str], use_docker: bool, license_name: str
) -> None:
    """Remove whole files that belong to options that were not chosen."""
    if not use_docker:
        remove_paths(project, DOCKER_FILES)
    if license_name == "Not open source":
        remove_paths(project, ("LICENSE",))


def token_urlsafe(nbytes: int) -> str:
    """What `secrets.token_urlsafe` returns (os.urandom, base64url, no padding), without
    importing `secrets` or `base64`, which pull in hashlib, random and re."""
    encoded = binascii.b2a_base64(os.urandom(nbytes), newline=False).decode("ascii")
    return encoded.translate(URLSAFE).rstrip("=")


def generate_secrets(names: tuple[str, ...] = SECRET_NAMES) -> dict[str, str]:
    """Return a fresh, independent, URL-safe random value for each setting in `names`."""
    return {name: token_urlsafe(SECRET_BYTES) for name in names}


def secret_names(use_docker: bool, database: str) -> tuple[str, ...]:
    """The settings to fill with secrets: the app's, plus the compose database password."""
    if use_docker and database != "sqlite":
        return (*SECRET_NAMES, "DB_PASSWORD")
    return SECRET_NAMES


def write_env_file(project: str | os.PathLike[str], values: dict[str, str]) -> str:
    """Copy .env.sample to .env with `values` filled in; only the owner may read .env."""
    with open(os.path.join(project, ".env.sample"), encoding="utf-8") as sample:
        lines = sample.read().splitlines(keepends=True)
    for name, value in values.items():
        found = [index for index, line in enumerate(lines) if line.startswith(f"{name}=")]
        if len(found) != 1:
            raise RuntimeError(f"{name} must appear exactly once in .env.sample")
        lines[found[0]] = f"{name}={value}\n"
    env_file = os.path.join(project, ".env")
    # Created owner-only, so the secrets are never readable by others, not even for a moment.
    descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8") as env:
        env.write("".join(lines))
    os.chmod(env_file, 0o600)
    return env_file


def find_python(version: str) -> str:
    """Pick python<version> for .venv if it runs here, else the interpreter running this hook."""
    import shutil
    import subprocess

    candidate = shutil.which(f"python{version}")
    if candidate:
        try:
            probe = subprocess.run([candidate, "-c", "pass"], capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            probe = None
        if probe is not None and probe.returncode == 0:
            return candidate
    return sys.executable


def setup_commands(project: str | os.PathLike[str], python: str, uv: str | None) -> list[list[str]]:
    """The commands that create .venv, install the pinned requirements and migrate."""
    venv = os.path.join(project, ".venv")
    venv_python = os.path.join(venv, "bin", "python")
    if uv:
        create = [uv, "venv", "--quiet", "--python", python, venv]
        install = [uv, "pip", "install", "--quiet", "--python", venv_python]
    else:
        create = [python, "-m", "venv", venv]
        install = [venv_python, "-m", "pip", "install", "--quiet"]
    return [
        create,
        [*install, "-r", os.path.join(project, "requirements-dev.txt")],
        [os.path.join(venv, "bin", "flask"), "db", "upgrade"],
    ]


def set_up_environment(project: str | os.PathLike[str], python_version: str) -> bool:
    """Run the set-up commands; on failure say what failed and how to finish by hand."""
    import shutil
    import subprocess

    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("VIRTUAL_ENV", None)
    for command in setup_commands(project, find_python(python_version), shutil.which("uv")):
        try:
            subprocess.run(command, cwd=project, env=env, check=True, timeout=STEP_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"\nSet-up step failed: {' '.join(command)}\n  ({exc})")
            print("The project was generated. Finish the set-up by hand:")
            print("  python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt")
            print("  .venv/bin/flask db upgrade")
            return False
    return True


def next_steps(slug: str, environment_ready: bool) -> str:
    """The short guide printed at the end of generation."""
    lines = [f"\nProject created in ./{slug}", f"  cd {slug}"]
    if not environment_ready:
        lines += [
            "  make install            # .venv with the pinned requirements",
            "  make migrate",
        ]
    lines += [
        "  .venv/bin/flask users create-admin --email you@example.com --name You",
        "  make run                # http://127.0.0.1:5000",
        "  make test               # the project's own tests",
        "Secrets for development are in .env (git-ignored); set real ones in production.",
    ]
    return "\n".join(lines)


def main() -> None:
    project = os.getcwd()
    use_docker = r"""{{ cookiecutter.use_docker }}""" == "True"
    remove_unused_files(
        project,
        use_docker=use_docker,
        license_name=r"""{{ cookiecutter.open_source_license }}""",
    )
    names = secret_names(use_docker, r"""{{ cookiecutter.database }}""")
    write_env_file(project, generate_secrets(names))
    ready = False
    if r"""{{ cookiecutter.setup_environment }}""" == "True":
        ready = set_up_environment(project, r"""{{ cookiecutter.python_version }}""")
    print(next_steps(r"""{{ cookiecutter.project_slug }}""", ready))


if __name__ == "__main__":
    main()
