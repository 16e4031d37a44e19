"""The hooks' helpers, imported and called directly."""

import importlib.util
import re
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import ROOT


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre = load_hook("pre_gen_project")
post = load_hook("post_gen_project")


@pytest.mark.parametrize("slug", ["api", "my_api", "my-api-2", "a1"])
def test_valid_slugs_pass(slug):
    assert pre.problems(slug, "a@b.io", "0.1.0") == []


@pytest.mark.parametrize(
    "slug", ["1bad", "Bad Slug", "bad slug", "_x", "-x", "Caps", "dot.ted", ""]
)
def test_invalid_slug_is_named_in_the_message(slug):
    (message,) = pre.problems(slug, "a@b.io", "0.1.0")

    assert message.startswith(f"project_slug {slug!r} is invalid")


@pytest.mark.parametrize("email", ["nope", "a@b", "a b@c.io", "@c.io"])
def test_invalid_email_is_named_in_the_message(email):
    assert pre.problems("api", email, "0.1.0") == [
        f"author_email {email!r} is not an e-mail address"
    ]


@pytest.mark.parametrize("version", ["1", "v1.0.0", "1.0", "one"])
def test_invalid_version_is_named_in_the_message(version):
    (message,) = pre.problems("api", "a@b.io", version)

    assert version in message


# The pre hook checks answers with string methods (no `re` import on every render); they must
# accept exactly what these patterns accept.
SLUG = re.compile(r"[a-z][a-z0-9_-]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+([.-]?(a|b|rc|dev|post)[0-9]*)?")
answers = st.text(alphabet=st.sampled_from("az09_-.@ \tAZbcdeoprstv\u00e9\u0663"), max_size=14)


@given(answers)
@example("my-api_2")
def test_slug_check_matches_its_pattern(text):
    assert pre.valid_slug(text) is bool(SLUG.fullmatch(text))


@given(answers)
@example("a.b@c.io")
@example("a@.io")
@example("a@b.")
def test_email_check_matches_its_pattern(text):
    assert pre.valid_email(text) is bool(EMAIL.fullmatch(text))


@given(answers)
@example("1.2.3rc1")
@example("1.2.3.dev0")
@example("1.2.3-post2")
@example("1.2.3.")
@example("1.2.3.4")
def test_version_check_matches_its_pattern(text):
    assert pre.valid_version(text) is bool(VERSION.fullmatch(text))


@pytest.mark.parametrize(
    ("version", "old"), [("2.6.0", True), ("1.7.3", True), ("2.7.0", False), ("3.0", False)]
)
def test_cookiecutter_version_gate(version, old):
    assert pre.cookiecutter_too_old(version) is old


def test_generated_secrets_are_long_and_distinct():
    first, second = post.generate_secrets(), post.generate_secrets()

    assert set(first) == {"SECRET_KEY", "JWT_SECRET_KEY"}
    assert all(len(value) >= 43 for value in first.values())  # 32+ random bytes, base64url
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert all(set(value) <= alphabet for value in first.values())  # safe unquoted in .env
    assert first["SECRET_KEY"] != first["JWT_SECRET_KEY"]
    assert first != second


@pytest.mark.parametrize(
    ("use_docker", "database", "extra"),
    [(False, "postgresql", ()), (True, "sqlite", ()), (True, "mysql", ("DB_PASSWORD",))],
)
def test_compose_database_password_is_generated_only_when_compose_starts_a_server(
    use_docker, database, extra
):
    assert post.secret_names(use_docker, database) == ("SECRET_KEY", "JWT_SECRET_KEY", *extra)


def test_write_env_file_replaces_only_the_secrets(tmp_path):
    (tmp_path / ".env.sample").write_text("A=1\nSECRET_KEY=x\nJWT_SECRET_KEY=y\nB=2\n")

    env_file = Path(post.write_env_file(tmp_path, {"SECRET_KEY": "s1", "JWT_SECRET_KEY": "j1"}))

    assert env_file.read_text() == "A=1\nSECRET_KEY=s1\nJWT_SECRET_KEY=j1\nB=2\n"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_write_env_file_refuses_a_sample_without_the_setting(tmp_path):
    (tmp_path / ".env.sample").write_text("A=1\n")

    with pytest.raises(RuntimeError, match="SECRET_KEY must appear exactly once"):
        post.write_env_file(tmp_path, {"SECRET_KEY": "s"})


def test_remove_unused_files_drops_docker_and_license(tmp_path):
    for name in ("Dockerfile", ".dockerignore", "docker-compose.yml", "LICENSE", "keep.py"):
        (tmp_path / name).write_text("x")
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "entrypoint.sh").write_text("x")

    post.remove_unused_files(tmp_path, use_docker=False, license_name="Not open source")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.py"]


def test_remove_unused_files_keeps_chosen_options(tmp_path):
    for name in ("Dockerfile", "LICENSE"):
        (tmp_path / name).write_text("x")

    post.remove_unused_files(tmp_path, use_docker=True, license_name="MIT")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile", "LICENSE"]


def test_setup_commands_prefer_uv(tmp_path):
    commands = post.setup_commands(tmp_path, "/usr/bin/python3.12", "/bin/uv")

    assert commands[0][:2] == ["/bin/uv", "venv"]
    assert commands[1][:3] == ["/bin/uv", "pip", "install"]
    assert commands[2] == [str(tmp_path / ".venv" / "bin" / "flask"), "db", "upgrade"]


def test_setup_commands_fall_back_to_venv_and_pip(tmp_path):
    commands = post.setup_commands(tmp_path, sys.executable, None)

    assert commands[0] == [sys.executable, "-m", "venv", str(tmp_path / ".venv")]
    assert commands[1][:4] == [str(tmp_path / ".venv" / "bin" / "python"), "-m", "pip", "install"]


def test_failed_setup_reports_and_returns_false(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr(post.sys, "executable", str(tmp_path / "no-such-python"))

    assert post.set_up_environment(tmp_path, "3.99") is False
    assert "Finish the set-up by hand" in capsys.readouterr().out


def test_next_steps_mention_install_only_when_needed():
    assert "make install" in post.next_steps("svc", environment_ready=False)
    assert "make install" not in post.next_steps("svc", environment_ready=True)
    assert "create-admin" in post.next_steps("svc", environment_ready=True)


def test_find_python_falls_back_to_the_running_interpreter():
    assert post.find_python("9.99") == sys.executable


def test_hooks_live_where_cookiecutter_looks():
    assert {p.name for p in (ROOT / "hooks").glob("*.py")} == {
        "pre_gen_project.py",
        "post_gen_project.py",
    }
    assert Path(pre.__file__).parent == Path(post.__file__).parent
