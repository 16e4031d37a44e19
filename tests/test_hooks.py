"""The hooks' helpers, imported and called directly."""

import base64
import json
import platform
import stat
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from tests.conftest import ROOT, load_hook

pre = load_hook("pre_gen_project")
post = load_hook("post_gen_project")


@pytest.mark.parametrize("slug", ["api", "my_api", "my-api-2", "a1", "my-api_2"])
def test_valid_slugs_pass(slug):
    assert pre.problems(slug, "a@b.io", "0.1.0") == []


@pytest.mark.parametrize(
    "slug", ["1bad", "Bad Slug", "bad slug", "_x", "-x", "Caps", "dot.ted", "", "caf\u00e9", "x\n"]
)
def test_invalid_slug_is_named_in_the_message(slug):
    (message,) = pre.problems(slug, "a@b.io", "0.1.0")

    assert message.startswith(f"project_slug {slug!r} is invalid")


@pytest.mark.parametrize("email", ["a@b.io", "a.b@c.io", "first+tag@mail.example.org"])
def test_valid_emails_pass(email):
    assert pre.problems("api", email, "0.1.0") == []


@pytest.mark.parametrize("email", ["nope", "a@b", "a b@c.io", "@c.io", "a@.io", "a@b.", "a@b@c.io"])
def test_invalid_email_is_named_in_the_message(email):
    assert pre.problems("api", email, "0.1.0") == [
        f"author_email {email!r} is not an e-mail address"
    ]


@pytest.mark.parametrize("version", ["0.1.0", "1.2.3rc1", "1.2.3.dev0", "1.2.3-post2", "10.20.30"])
def test_valid_versions_pass(version):
    assert pre.problems("api", "a@b.io", version) == []


@pytest.mark.parametrize("version", ["1", "v1.0.0", "1.0", "one", "1.2.3.", "1.2.3.4", "1.2.3x"])
def test_invalid_version_is_named_in_the_message(version):
    (message,) = pre.problems("api", "a@b.io", version)

    assert version in message


@pytest.mark.parametrize(
    ("version", "old"),
    [("2.6.0", True), ("1.7.3", True), ("2.7.0", False), ("2.10.1", False), ("3.0", False)],
)
def test_cookiecutter_version_gate(version, old):
    assert pre.cookiecutter_too_old(version) is old


ALL_ON = tuple(post.CAPABILITIES.values())


def test_generated_secrets_are_long_and_distinct():
    names = post.secret_names(False, "sqlite", ALL_ON)
    first, second = post.generate_secrets(names), post.generate_secrets(names)

    assert set(first) == {"SECRET_KEY", "JWT_SECRET_KEY", "TOTP_ENCRYPTION_KEYS", "AUDIT_SEAL_KEY"}
    assert all(len(value) >= 43 for value in first.values())  # 32+ random bytes, base64url
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
    assert all(set(value) <= alphabet for value in first.values())  # safe unquoted in .env
    assert len(set(first.values())) == 4
    assert not set(first.values()) & set(second.values())


def test_the_totp_encryption_key_is_a_fernet_key():
    key = post.generate_secrets(("TOTP_ENCRYPTION_KEYS",))["TOTP_ENCRYPTION_KEYS"]

    # What cryptography's Fernet accepts: 32 bytes in url-safe base64, padding included.
    assert len(base64.urlsafe_b64decode(key.encode())) == 32
    assert base64.urlsafe_b64encode(base64.urlsafe_b64decode(key)).decode() == key


@pytest.mark.parametrize(
    ("use_docker", "database", "extra"),
    [(False, "postgresql", ()), (True, "sqlite", ()), (True, "mysql", ("DB_PASSWORD",))],
)
def test_compose_database_password_is_generated_only_when_compose_starts_a_server(
    use_docker, database, extra
):
    names = ("SECRET_KEY", "JWT_SECRET_KEY", "TOTP_ENCRYPTION_KEYS", "AUDIT_SEAL_KEY", *extra)
    assert post.secret_names(use_docker, database, ALL_ON) == names


def test_only_the_capabilities_present_add_their_secrets():
    assert post.secret_names(False, "sqlite", ()) == ("SECRET_KEY", "JWT_SECRET_KEY")


def test_write_env_file_replaces_only_the_secrets(tmp_path):
    (tmp_path / ".env.sample").write_text("A=1\nSECRET_KEY=x\nJWT_SECRET_KEY=y\nB=2\n")

    env_file = Path(post.write_env_file(tmp_path, {"SECRET_KEY": "s1", "JWT_SECRET_KEY": "j1"}))

    assert env_file.read_text() == "A=1\nSECRET_KEY=s1\nJWT_SECRET_KEY=j1\nB=2\n"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_write_env_file_refuses_a_sample_without_the_setting(tmp_path):
    (tmp_path / ".env.sample").write_text("A=1\n")

    with pytest.raises(RuntimeError, match="SECRET_KEY must appear exactly once"):
        post.write_env_file(tmp_path, {"SECRET_KEY": "s"})


def test_remove_unused_files_drops_docker_license_and_deploy(tmp_path):
    for name in ("Dockerfile", ".dockerignore", "docker-compose.yml", "LICENSE", "keep.py"):
        (tmp_path / name).write_text("x")
    for folder in ("docker", "deploy/kubernetes/base"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "file").write_text("x")

    post.remove_unused_files(
        tmp_path, use_docker=False, license_name="Not open source", deploy_target="none"
    )

    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.py"]


def test_remove_unused_files_keeps_chosen_options(tmp_path):
    for name in ("Dockerfile", "LICENSE"):
        (tmp_path / name).write_text("x")
    (tmp_path / "deploy").mkdir()

    post.remove_unused_files(
        tmp_path, use_docker=True, license_name="MIT", deploy_target="kubernetes"
    )

    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile", "LICENSE", "deploy"]


@pytest.mark.parametrize(
    ("use_docker", "database", "expected"),
    [
        (True, "postgresql", []),
        (True, "mysql", []),
        (False, "postgresql", ["deploy_target=kubernetes deploys the Docker image"]),
        (True, "sqlite", ["deploy_target=kubernetes runs several pods on one database"]),
        (
            False,
            "sqlite",
            [
                "deploy_target=kubernetes deploys the Docker image",
                "deploy_target=kubernetes runs several pods on one database",
            ],
        ),
    ],
)
def test_kubernetes_needs_the_docker_image_and_a_database_server(use_docker, database, expected):
    found = pre.deploy_target_problems("kubernetes", use_docker, database)

    assert [message.split(":")[0] for message in found] == expected


def test_no_deploy_target_needs_nothing():
    assert pre.deploy_target_problems("none", use_docker=False, database="sqlite") == []


def test_setup_steps_prefer_uv_and_create_a_server_database_before_migrating(tmp_path):
    steps = post.setup_steps(tmp_path, "/usr/bin/python3.12", "/bin/uv", "postgresql")
    flask = str(tmp_path / ".venv" / "bin" / "flask")

    assert steps[0].command[:2] == ["/bin/uv", "venv"]
    assert steps[1].command[:3] == ["/bin/uv", "pip", "install"]
    migrate = [[flask, "db", "create"], [flask, "db", "upgrade"]]
    assert [step.command for step in steps[2:]] == migrate
    assert [step.by_hand for step in steps] == ["make install"] * 2 + ["make migrate"] * 2


def test_setup_steps_fall_back_to_venv_and_pip_and_skip_creating_sqlite(tmp_path):
    steps = post.setup_steps(tmp_path, sys.executable, None, "sqlite")

    assert steps[0].command == [sys.executable, "-m", "venv", str(tmp_path / ".venv")]
    venv_python = str(tmp_path / ".venv" / "bin" / "python")
    assert steps[1].command[:4] == [venv_python, "-m", "pip", "install"]
    assert [step.name for step in steps] == [
        "python -m venv",
        "pip install -r requirements-dev.txt",
        "flask db upgrade",
    ]


def step(name: str, code: str, by_hand: str, needs: str = ""):
    return post.Step(name, [sys.executable, "-c", code], by_hand, needs)


def test_setup_runs_every_step_and_leaves_nothing_to_do(tmp_path, capsys):
    steps = [step("one", "pass", "make install"), step("two", "pass", "make migrate")]

    assert post.set_up_environment(tmp_path, "svc", steps) == []
    assert capsys.readouterr().out == ""


def test_failed_step_prints_one_paragraph_and_returns_what_is_left(tmp_path, capsys):
    fails = "import sys; print('noise'); sys.exit('Error: could not create the database x: no')"
    steps = [
        step("uv venv", "pass", "make install"),
        step("flask db create", fails, "make migrate", "once the server is up"),
        step("flask db upgrade", "pass", "make migrate", "once the server is up"),
    ]

    assert post.set_up_environment(tmp_path, "svc", steps) == ["make migrate"]
    assert capsys.readouterr().out == (
        "\nSet-up stopped: flask db create failed: could not create the database x: no\n"
        "The project is generated; once the server is up, finish with: cd svc && make migrate\n"
    )


def test_a_traceback_is_reduced_to_its_last_line(tmp_path, capsys):
    steps = [step("flask db upgrade", "raise RuntimeError('no such table')", "make migrate")]

    post.set_up_environment(tmp_path, "svc", steps)

    first, second = capsys.readouterr().out.strip().splitlines()
    assert first == "Set-up stopped: flask db upgrade failed: RuntimeError: no such table"
    assert second == "The project is generated; finish with: cd svc && make migrate"


def test_a_command_that_cannot_start_is_reported(tmp_path, capsys):
    steps = [
        post.Step("uv venv", [str(tmp_path / "no-such-uv")], "make install"),
        step("flask db upgrade", "pass", "make migrate"),
    ]

    assert post.set_up_environment(tmp_path, "svc", steps) == ["make install", "make migrate"]
    assert "finish with: cd svc && make install && make migrate" in capsys.readouterr().out


def test_next_steps_list_only_what_is_left():
    done = post.next_steps("svc", [])
    left = post.next_steps("svc", ["make migrate"])

    assert "make install" not in done
    assert "make migrate" not in done
    assert "  make migrate             # flask db create (when missing)" in left
    assert "make install" not in left
    assert "create-admin" in done
    assert "make install" in post.next_steps("svc", list(post.BY_HAND))


def test_find_python_falls_back_to_the_running_interpreter():
    assert post.find_python("9.99") == sys.executable


def test_hooks_live_where_cookiecutter_looks():
    assert {p.name for p in (ROOT / "hooks").glob("*.py")} == {
        "pre_gen_project.py",
        "post_gen_project.py",
    }
    assert Path(pre.__file__).parent == Path(post.__file__).parent


def write_pyproject(folder: Path) -> Path:
    (folder / "pyproject.toml").write_text('[project]\nname = "svc"\nrequires-python = ">=3.11"\n')
    return folder


def test_venv_python_note_names_the_interpreter_used_instead_and_requires_python(tmp_path):
    note = post.venv_python_note("9.99", sys.executable, write_pyproject(tmp_path))

    assert note == (
        f"python9.99 is not installed here: .venv gets Python {platform.python_version()}"
        f" ({sys.executable}), which requires-python >=3.11 admits; the Docker image and CI"
        " run 9.99."
    )


def test_venv_python_note_is_silent_when_the_chosen_python_is_found(tmp_path):
    project = write_pyproject(tmp_path)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"

    assert post.venv_python_note("3.12", "/usr/bin/python3.12", project) is None
    assert post.venv_python_note(running, sys.executable, project) is None


def test_rendered_requires_python_admits_every_offered_version_and_this_one(bake):
    project = bake()
    config = tomllib.loads((project / "pyproject.toml").read_text())
    allowed = SpecifierSet(config["project"]["requires-python"])
    choices = json.loads((ROOT / "cookiecutter.json").read_text())["python_version"]
    running = f"{sys.version_info.major}.{sys.version_info.minor}"

    assert [version for version in [*choices, running] if version not in allowed] == []


def test_ci_files_of_docker_and_kubernetes_go_with_their_option(tmp_path):
    kept = ("scripts/ci/smoke.sh", "scripts/ci/wait_ready.sh")
    for name in (*post.DOCKER_FILES, *post.KUBERNETES_FILES, *kept):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")

    post.remove_unused_files(tmp_path, use_docker=False, license_name="MIT", deploy_target="none")

    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(kept)


def test_every_answer_of_the_capability_table_is_a_question_with_its_two_answers():
    answers = json.loads((ROOT / "cookiecutter.json").read_text())

    for name, capability in post.CAPABILITIES.items():
        if capability.on is True:
            assert answers[name] is True  # on by default: --no-input renders the full project
            assert answers["__prompts__"][name].endswith("?")
        else:  # a choice whose default leaves it out
            assert answers[name] == [capability.off, capability.on]
            prompts = answers["__prompts__"][name]
            assert set(prompts) == {"__prompt__", capability.off, capability.on}
        assert capability.chosen(capability.on) and not capability.chosen(capability.off)


def test_remove_capability_deletes_its_paths_line_dependencies_and_pins(tmp_path):
    (tmp_path / "app" / "audit").mkdir(parents=True)
    (tmp_path / "app" / "audit" / "models.py").write_text("")
    (tmp_path / "tests" / "routes").mkdir(parents=True)
    (tmp_path / "tests" / "routes" / "test_audit_events.py").write_text("")
    (tmp_path / "tests" / "routes" / "test_users.py").write_text("")
    (tmp_path / "app" / "capabilities.py").write_text(
        'INSTALLED = (\n    "audit",\n    "mail",\n)\n'
    )
    (tmp_path / "pyproject.toml").write_text(
        'dependencies = [\n    "Flask>=3",\n    "tool>=1",\n]\n'
    )
    lock = "flask==3.1\n    # via p (pyproject.toml)\ntool==1.0\n    # via p (pyproject.toml)\n"
    for name in post.REQUIREMENTS_FILES:
        (tmp_path / name).write_text(lock)
    capability = post.Capability(
        line="audit", paths=("app/audit", "tests/**/*audit*"), requirements=("tool",)
    )

    post.remove_capability(tmp_path, capability)

    assert not (tmp_path / "app" / "audit").exists()
    assert sorted(p.name for p in (tmp_path / "tests").rglob("*.py")) == ["test_users.py"]
    assert (tmp_path / "app" / "capabilities.py").read_text() == 'INSTALLED = (\n    "mail",\n)\n'
    assert (tmp_path / "pyproject.toml").read_text() == 'dependencies = [\n    "Flask>=3",\n]\n'
    for name in post.REQUIREMENTS_FILES:
        assert (tmp_path / name).read_text() == "flask==3.1\n    # via p (pyproject.toml)\n"


def test_a_chosen_capability_takes_out_what_it_replaces_and_keeps_its_own(tmp_path):
    (tmp_path / "app" / "mail").mkdir(parents=True)
    for name in ("sender.py", "server.py", "tasks.py", "settings.py"):
        (tmp_path / "app" / "mail" / name).write_text("")
    settings = tmp_path / "app" / "mail" / "settings.py"
    settings.write_text('DELIVERERS = (\n    "app.mail.tasks",\n    "app.mail.sender",\n)\n')

    post.remove_replaced(tmp_path, post.CAPABILITIES["background_jobs"])

    assert sorted(p.name for p in (tmp_path / "app" / "mail").iterdir()) == [
        "settings.py",
        "tasks.py",
    ]
    assert settings.read_text() == 'DELIVERERS = (\n    "app.mail.tasks",\n)\n'


def test_a_capability_left_out_takes_its_entries_from_other_lists(tmp_path):
    (tmp_path / "app" / "mail").mkdir(parents=True)
    (tmp_path / "app" / "capabilities.py").write_text('INSTALLED = (\n    "jobs",\n)\n')
    settings = tmp_path / "app" / "mail" / "settings.py"
    settings.write_text('DELIVERERS = (\n    "app.mail.tasks",\n    "app.mail.sender",\n)\n')
    (tmp_path / "pyproject.toml").write_text("dependencies = []\n")
    for name in post.REQUIREMENTS_FILES:
        (tmp_path / name).write_text("")

    post.remove_capability(tmp_path, post.CAPABILITIES["background_jobs"])

    assert settings.read_text() == 'DELIVERERS = (\n    "app.mail.sender",\n)\n'
    assert (tmp_path / "app" / "capabilities.py").read_text() == "INSTALLED = (\n)\n"


def test_lists_left_with_one_entry_or_none_are_written_as_ruff_formats_them(tmp_path):
    listing = tmp_path / "app" / "capabilities.py"
    settings = tmp_path / "app" / "mail" / "settings.py"
    settings.parent.mkdir(parents=True)
    other = 'OTHER = (\n    "a",\n    "b",\n)\n'
    listing.write_text(f'"""Doc."""\n\nINSTALLED = (\n)\n\n{other}')
    settings.write_text('DELIVERERS = (\n    "app.mail.sender",\n)  # kept\nX = (\n    "y",\n)\n')

    post.tidy_lists(tmp_path)

    assert listing.read_text() == f'"""Doc."""\n\nINSTALLED = ()\n\n{other}'
    assert settings.read_text() == 'DELIVERERS = (\n    "app.mail.sender",\n)  # kept\nX = ("y",)\n'


def test_drop_capability_line_leaves_a_name_that_only_contains_it(tmp_path):
    listing = tmp_path / "capabilities.py"
    listing.write_text('INSTALLED = (\n    "mail",\n    "mailbox",\n)  # "mail",\n')

    post.drop_capability_line(listing, "mail")

    assert listing.read_text() == 'INSTALLED = (\n    "mailbox",\n)  # "mail",\n'


def test_drop_dependencies_takes_a_comment_whose_first_dependency_goes(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        "dependencies = [\n"
        '    "Flask>=3",\n'
        '    "prometheus-client>=0.26",\n'
        "    # Two-factor: codes and keys.\n"
        '    "pyotp>=2",\n'
        '    "Cryptography>=46",\n'
        "    # OpenAPI.\n"
        '    "flask-smorest>=0.47",\n'
        '    "prometheus_client_extra>=1",\n'
        "]\n"
        "[dependency-groups]\n"
        "dev = [\n"
        "    # A test SMTP server.\n"
        '    "aiosmtpd>=1.4",\n'
        "]\n"
    )

    post.drop_dependencies(pyproject, ("pyotp", "cryptography", "prometheus-client", "aiosmtpd"))

    assert pyproject.read_text() == (
        "dependencies = [\n"
        '    "Flask>=3",\n'
        "    # OpenAPI.\n"
        '    "flask-smorest>=0.47",\n'
        '    "prometheus_client_extra>=1",\n'
        "]\n"
        "[dependency-groups]\n"
        "dev = [\n"
        "]\n"
    )


LOCK = """# This file was autogenerated by uv via the following command:
#    uv pip compile pyproject.toml -o requirements.txt
certifi==2026.1
    # via
    #   requests
    #   sentry-sdk
flask==3.1
    # via
    #   p (pyproject.toml)
    #   sentry-sdk
idna==3.2
    # via requests
requests==2.34
    # via
    #   p (pyproject.toml)
    #   opentelemetry-exporter
sentry-sdk==2.75 ; python_version >= '3.11'
    # via p (pyproject.toml)
opentelemetry-exporter==1.0
    # via p (pyproject.toml)
urllib3==2.8
    # via
    #   requests
    #   sentry-sdk
"""


def test_prune_requirements_drops_the_packages_and_what_only_they_needed():
    pruned = post.prune_requirements(LOCK, ("sentry-sdk", "opentelemetry-exporter"))

    assert (
        pruned
        == """# This file was autogenerated by uv via the following command:
#    uv pip compile pyproject.toml -o requirements.txt
certifi==2026.1
    # via requests
flask==3.1
    # via p (pyproject.toml)
idna==3.2
    # via requests
requests==2.34
    # via p (pyproject.toml)
urllib3==2.8
    # via requests
"""
    )


def test_prune_requirements_follows_chains_of_packages_nothing_else_needs():
    pruned = post.prune_requirements(LOCK, ("sentry-sdk", "opentelemetry-exporter", "requests"))

    assert [entry.name for entry in post.parse_lock(pruned)[1]] == ["flask"]


def test_prune_requirements_keeps_a_direct_dependency_another_package_needs():
    lock = (
        "a==1\n    # via p (pyproject.toml)\n"
        "b==1\n    # via\n    #   a\n    #   p (pyproject.toml:dev)\n"
    )

    assert (
        post.prune_requirements(lock, ("b",))
        == "a==1\n    # via p (pyproject.toml)\nb==1\n    # via a\n"
    )


def test_prune_requirements_of_nothing_changes_nothing():
    assert post.prune_requirements(LOCK, ()) == LOCK


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_pruning_the_rendered_lock_of_nothing_changes_nothing(bake, name):
    lock = (bake() / name).read_text()

    assert post.prune_requirements(lock, ()) == lock
