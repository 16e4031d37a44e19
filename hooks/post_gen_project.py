"""After rendering: drop files for options that are off, write .env with fresh secrets, and
(optionally) create .venv, install the pinned requirements, create the database and migrate."""

import base64
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import NamedTuple

SECRET_NAMES = ("SECRET_KEY", "JWT_SECRET_KEY")
SECRET_BYTES = 48
# Settings that hold a Fernet key: exactly 32 random bytes, url-safe base64 (padding included).
FERNET_KEY_NAMES = ("TOTP_ENCRYPTION_KEYS",)
FERNET_KEY_BYTES = 32
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


class Capability(NamedTuple):
    """What one answer adds to a render: any other answer takes all of it away."""

    line: str  # its entry in the tuple INSTALLED of app/capabilities.py
    paths: tuple[str, ...]  # files and folders it owns (globs allowed)
    secrets: tuple[str, ...] = ()  # settings of .env the hook fills with a fresh secret
    requirements: tuple[str, ...] = ()  # its direct dependencies in pyproject.toml (any group)
    names: tuple[str, ...] = ()  # words a render without it holds nowhere (tests grep for them)
    on: object = True  # the answer that puts it in the render
    off: object = False  # the answer that leaves it out
    # What it takes the place of: paths a render with it drops, names it then holds nowhere.
    replaces: tuple[str, ...] = ()
    replaced_names: tuple[str, ...] = ()
    # Entries `    "<entry>",` of other files' lists (file, entry): its own, dropped when it is
    # left out, and those it replaces, dropped when it is taken.
    entries: tuple[tuple[str, str], ...] = ()
    replaced_entries: tuple[tuple[str, str], ...] = ()

    def chosen(self, answer: object) -> bool:
        return answer == self.on


# Each answer beyond the reference API, and all that it owns. The tests that prove "no" leaves no
# trace read this table too (tests/test_capabilities.py).
CAPABILITIES = {
    "use_two_factor": Capability(
        line="twofactor",
        paths=("app/twofactor", "tests/twofactor*", "tests/**/*two_factor*"),
        secrets=("TOTP_ENCRYPTION_KEYS",),
        requirements=("pyotp", "cryptography", "segno"),
        names=(
            "TOTP_ENCRYPTION_KEYS",
            "TWO_FACTOR_CHALLENGE_SECONDS",
            "REQUIRE_2FA_FOR_ADMINS",
            "RATELIMIT_TWO_FACTOR",
            "RATELIMIT_LOGIN_2FA",
            "login_2fa",
            "two_factor",
            "twofactor",
            "two-factor",
            "Two-factor",
            "/auth/2fa",
            "totp_credentials",
            "recovery_codes",
            "login_challenges",
            "pyotp",
            "segno",
            "cryptography",
            "Fernet",
        ),
    ),
    "use_api_keys": Capability(
        line="apikeys",
        paths=("app/apikeys", "tests/apikeys*", "tests/**/*api_key*"),
        names=(
            "api-key-prefix",
            "RATELIMIT_API_KEYS",
            "api_keys",
            "apikeys",
            "api-keys",
            "API keys",
            "API key",
            "_pat_",
        ),
    ),
    "use_audit_log": Capability(
        line="audit",
        paths=(
            "app/audit",
            "tests/**/*audit*",
            "deploy/kubernetes/base/purge-audit-cronjob.yaml",
            "deploy/kubernetes/base/seal-audit-cronjob.yaml",
        ),
        secrets=("AUDIT_SEAL_KEY",),
        names=(
            "AUDIT_RETENTION_DAYS",
            "AUDIT_SEAL_KEY",
            "audit_seals",
            "audit-sealer",
            "seal-audit",
            "RATELIMIT_AUDIT_EVENTS",
            "RATELIMIT_MY_AUDIT_EVENTS",
            "audit_events",
            "audit-events",
            "audit_cli",
            "flask audit",
            "purge-audit",
            "app.audit",
            "app/audit",
            "Audit log",
            "audit log",
        ),
    ),
    "use_account_emails": Capability(
        line="mail",
        paths=(
            "app/mail",
            "tests/**/mail*",
            "tests/**/*_mail*",  # not *mail*: a test of e-mail addresses stays
            "tests/**/*account_recovery*",
            "deploy/kubernetes/base/mail-worker-deployment.yaml",
        ),
        requirements=("aiosmtpd",),
        names=(
            "MAIL_SERVER",
            "MAIL_PORT",
            "MAIL_USE_",
            "MAIL_USERNAME",
            "MAIL_PASSWORD",
            "MAIL_DEFAULT_SENDER",
            "MAIL_TIMEOUT",
            "MAIL_SENDER",
            "MAIL_MAX_ATTEMPTS",
            "MAIL_RETRY_SECONDS",
            "MAIL_LEASE_SECONDS",
            "MAIL_POLL_SECONDS",
            "FRONTEND_URL",
            "PASSWORD_RESET",
            "EMAIL_VERIFICATION",
            "RATELIMIT_ACCOUNT_MAIL",
            "RATELIMIT_ACCOUNT_CONFIRM",
            "account_mail",
            "account_confirm",
            "password-reset",
            "verify-email",
            "mail_outbox",
            "mail_cli",
            "flask mail",
            "mail-worker",
            "mailpit",
            "Mailpit",
            "aiosmtpd",
            "app.mail",
            "app/mail",
        ),
    ),
    "use_observability": Capability(
        line="observability",
        paths=(
            "app/observability",
            "app/*/metrics.py",  # another capability's metrics, which only observability imports
            "tests/**/*metrics*",
            "tests/**/*telemetry*",
            "tests/**/*observability*",
        ),
        requirements=(
            "prometheus-client",
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
            "opentelemetry-instrumentation-flask",
            "sentry-sdk",
        ),
        names=(
            "METRICS_BIND",
            "PROMETHEUS_MULTIPROC_DIR",
            "OTEL_",
            "SENTRY_",
            "/metrics",
            "prometheus",
            "opentelemetry",
            "sentry",
            "Sentry",
            "OpenTelemetry",
            "9100",
        ),
    ),
    "background_jobs": Capability(
        line="jobs",
        on="celery",
        off="none",
        paths=("app/jobs", "app/*/tasks.py", "tests/jobs", "deploy/kubernetes/base/celery-*"),
        requirements=("celery",),
        names=(
            "celery",
            "Celery",
            "CELERY",
            "app.jobs",
            "app/jobs",
            "make worker",
            "make beat",
            "_SCHEDULE",
            "Background jobs",
            "background jobs",
            "app.mail.tasks",
        ),
        # One deliverer of the outbox and one scheduler of the periodic jobs: the tasks and beat
        # take the place of the mail sender's thread and loop and of the Kubernetes CronJobs.
        replaces=(
            "app/mail/sender.py",
            "app/mail/server.py",
            "tests/mail/fixtures_sender.py",
            "tests/mail/test_mail_sender*",
            "deploy/kubernetes/base/mail-worker-deployment.yaml",
            "deploy/kubernetes/base/*-cronjob.yaml",
        ),
        entries=(("app/mail/settings.py", "app.mail.tasks"),),
        replaced_entries=(("app/mail/settings.py", "app.mail.sender"),),
        replaced_names=(
            "app.mail.sender",
            "MAIL_SENDER",
            "MAIL_POLL_SECONDS",
            "flask mail worker",
            "mail-worker",
            "audit-sealer",
            "CronJob",
        ),
    ),
}
CAPABILITIES_FILE = "app/capabilities.py"
REQUIREMENTS_FILES = ("requirements.txt", "requirements-dev.txt")
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


def remove_replaced(project: Path, capability: Capability) -> None:
    """Take out of the render at `project` what the chosen `capability` takes the place of."""
    remove_paths(project, owned_paths(project, capability.replaces))
    for name, entry in capability.replaced_entries:
        drop_capability_line(project / name, entry)


def remove_capability(project: Path, capability: Capability) -> None:
    """Take everything `capability` owns out of the render at `project`."""
    remove_paths(project, owned_paths(project, capability.paths))
    drop_capability_line(project / CAPABILITIES_FILE, capability.line)
    for name, entry in capability.entries:
        drop_capability_line(project / name, entry)
    drop_dependencies(project / "pyproject.toml", capability.requirements)
    for name in REQUIREMENTS_FILES:
        lock = project / name
        lock.write_text(prune_requirements(lock.read_text(), capability.requirements))


def owned_paths(project: Path, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The paths under `project` that `patterns` (globs relative to it) match, deepest first."""
    found = {
        str(path.relative_to(project)) for pattern in patterns for path in project.glob(pattern)
    }
    return tuple(sorted(found, key=lambda path: (-path.count("/"), path)))


def drop_capability_line(path: Path, line: str) -> None:
    """Remove the line `    "<line>",` from the list of capabilities in `path`, if present."""
    if not path.exists():
        return
    entry = f'    "{line}",'
    kept = [text for text in path.read_text().splitlines(keepends=True) if text.rstrip() != entry]
    path.write_text("".join(kept))


# `NAME = (` and `)` on lines of their own around one entry or none.
SHORT_TUPLE = re.compile(r'^(?P<head>[A-Z_]+ = )\(\n(?P<entry>(?:    "[^"\n]*",\n)?)\)$', re.M)


def tidy_lists(project: Path) -> None:
    """Write each pruned tuple left with one entry or none on one line, as ruff formats it."""
    names = {CAPABILITIES_FILE} | {
        name for capability in CAPABILITIES.values() for name, _ in capability.entries
    }
    for path in (project / name for name in sorted(names)):
        if path.exists():
            path.write_text(SHORT_TUPLE.sub(one_line, path.read_text()))


def one_line(match: re.Match[str]) -> str:
    return f"{match['head']}({match['entry'].strip()})"


def package_name(requirement: str) -> str:
    """The normalised distribution name at the start of `requirement` (PEP 503)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    return re.sub(r"[-_.]+", "-", match[0]).lower() if match else ""


def drop_dependencies(pyproject: Path, packages: tuple[str, ...]) -> None:
    """Remove `packages` from the dependency lists of `pyproject`; a comment whose first
    dependency below is removed goes with it."""
    gone = {package_name(package) for package in packages}
    kept: list[str] = []
    comment: list[str] = []  # comment lines held until the line below them is known
    for line in pyproject.read_text().splitlines(keepends=True):
        text = line.strip()
        if text.startswith("#"):
            comment.append(line)
            continue
        removed = text.startswith('"') and package_name(text[1:]) in gone
        if not removed:
            kept.extend(comment)
            kept.append(line)
        comment = []
    pyproject.write_text("".join(kept + comment))


def prune_requirements(lock: str, packages: tuple[str, ...]) -> str:
    """`lock` (uv pip compile's output with `# via` notes) without `packages` as direct
    dependencies, and without every pin that nothing left needs."""
    header, entries = parse_lock(lock)
    direct = {package_name(package) for package in packages}
    for entry in entries:
        if entry.name in direct:
            entry.via[:] = [via for via in entry.via if not via.endswith(")")]
    dropped: set[str] = set()
    while orphans := [e for e in entries if not e.via and e.name not in dropped]:
        dropped.update(entry.name for entry in orphans)
        for entry in entries:
            entry.via[:] = [via for via in entry.via if package_name(via) not in dropped]
    kept = [entry for entry in entries if entry.name not in dropped]
    return header + "".join(entry.text() for entry in kept)


class LockEntry(NamedTuple):
    """One pin of a lock, and the packages (or the project) that need it."""

    pin: str
    via: list[str]

    @property
    def name(self) -> str:
        return package_name(self.pin)

    def text(self) -> str:
        if len(self.via) == 1:
            return f"{self.pin}\n    # via {self.via[0]}\n"
        return f"{self.pin}\n    # via\n" + "".join(f"    #   {via}\n" for via in self.via)


def parse_lock(lock: str) -> tuple[str, list[LockEntry]]:
    """Split `lock` into its header comment and its pins with their `# via` notes."""
    header: list[str] = []
    entries: list[LockEntry] = []
    for line in lock.splitlines(keepends=True):
        if not line[:1].isspace() and not line.startswith("#") and line.strip():
            entries.append(LockEntry(line.rstrip("\n"), []))
        elif not entries:
            header.append(line)
        else:
            via = line.strip().removeprefix("#").strip().removeprefix("via").strip()
            if via:
                entries[-1].via.append(via)
    return "".join(header), entries


def generate_secrets(names: tuple[str, ...] = SECRET_NAMES) -> dict[str, str]:
    """Return a fresh, independent, URL-safe random value for each setting in `names`."""
    return {name: new_secret(name) for name in names}


def new_secret(name: str) -> str:
    """A random value for setting `name`: a Fernet key where one is needed, else 48 bytes."""
    if name in FERNET_KEY_NAMES:
        return base64.urlsafe_b64encode(secrets.token_bytes(FERNET_KEY_BYTES)).decode()
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_names(
    use_docker: bool, database: str, capabilities: tuple[Capability, ...] = ()
) -> tuple[str, ...]:
    """The settings to fill with secrets: the app's, those of the `capabilities` present, plus
    the compose database password."""
    names = (*SECRET_NAMES, *(name for capability in capabilities for name in capability.secrets))
    if use_docker and database != "sqlite":
        return (*names, "DB_PASSWORD")
    return names


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
    answers = json.loads(r"""{{ cookiecutter | jsonify }}""")
    present = tuple(
        capability for name, capability in CAPABILITIES.items() if capability.chosen(answers[name])
    )
    for capability in CAPABILITIES.values():
        if capability in present:
            remove_replaced(project, capability)
        else:
            remove_capability(project, capability)
    tidy_lists(project)
    write_env_file(project, generate_secrets(secret_names(use_docker, database, present)))
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
