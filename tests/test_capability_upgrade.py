"""A project generated before capabilities became folders (one linear chain of migrations, 0001 to
0005) takes the new layout with `cruft update` and `flask db upgrade`: no error, no row lost, on
each database."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, fresh_database, project_venv, run
from tests.test_cruft import as_repository, commit_all, cruft, git

# The last commit of the template whose migrations were one chain (0001 to 0005 at its head).
LINEAR_COMMIT = "7053677"
ADMIN = ["--email", "admin@example.com", "--name", "Ada", "--password", "password123"]
# Rows a project of that layout holds, in every table a capability now owns; the admin
# created from the command line counts as verified (users.email_verified_at then).
SEED = """
import sys
from sqlalchemy import create_engine, text
stamp = "2026-01-01 00:00:00"
rows = {
    "mail_outbox": "(kind, recipient, status, attempts, created_at) VALUES"
    " ('password_reset', 'admin@example.com', 'sent', 1, :at)",
    "api_keys": "(user_id, name, prefix, key_hash, created_at) VALUES (1, 'ci', 'p', 'h', :at)",
    "totp_credentials": "(user_id, secret, created_at) VALUES (1, 'encrypted', :at)",
    "recovery_codes": "(user_id, code_hash, created_at) VALUES (1, 'c', :at)",
    "account_tokens": "(user_id, purpose, token_hash, created_at, expires_at) VALUES"
    " (1, 'reset', 't', :at, :at)",
}
with create_engine(sys.argv[1]).begin() as connection:
    for table, values in rows.items():
        connection.execute(text(f"INSERT INTO {table} {values}"), {"at": stamp})
"""
COUNT = """
import json, sys
from sqlalchemy import create_engine, inspect, text
engine = create_engine(sys.argv[1])
with engine.connect() as connection:
    names = [name for name in inspect(connection).get_table_names() if name != "alembic_version"]
    counts = {n: connection.execute(text(f"SELECT COUNT(*) FROM {n}")).scalar() for n in names}
    columns = [column["name"] for column in inspect(connection).get_columns("users")]
print(json.dumps({"counts": counts, "users": columns}))
"""


@pytest.fixture(scope="module")
def two_layouts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template repository: the linear layout's commit, then this working tree on top."""
    repo = tmp_path_factory.mktemp("layouts") / "template"
    repo.mkdir()
    archive = subprocess.run(
        ["git", "archive", LINEAR_COMMIT], cwd=ROOT, capture_output=True, check=False
    )
    assert archive.returncode == 0, archive.stderr.decode()  # the commit is in main's history
    subprocess.run(["tar", "-x", "-C", str(repo)], input=archive.stdout, check=True)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "Linear migrations")
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    commit_all(repo, "Capabilities as folders")
    return repo


def python(project: Path, script: str, url: str) -> str:
    result = run([str(project_venv(project) / "bin" / "python"), "-c", script, url], project)
    assert result.returncode == 0, result.stderr
    return result.stdout


def flask(project: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": url, "FLASK_ENV": "development"}
    return run([str(project_venv(project) / "bin" / "flask"), *args], project, env)


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"])
def test_a_linear_project_takes_the_capability_layout_without_losing_a_row(
    two_layouts, tmp_path, database
):
    first = git(two_layouts, "rev-list", "--max-parents=0", "HEAD").strip()
    answers = json.dumps({"setup_environment": False, "database": database})
    created = cruft(
        tmp_path,
        *("create", "--no-input", "--output-dir", str(tmp_path), "--checkout", first),
        *("--extra-context", answers, str(two_layouts)),
    )
    assert created.returncode == 0, created.stdout + created.stderr
    project = as_repository(tmp_path / "my_flask_api")

    with fresh_database(database) as url:
        for command in (
            ["db", "upgrade"],
            ["users", "create-admin", *ADMIN],
            ["seed-demo"],
        ):
            done = flask(project, url, *command)
            assert done.returncode == 0, done.stderr
        python(project, SEED, url)
        before = json.loads(python(project, COUNT, url))

        updated = cruft(project, "update", "--skip-apply-ask", "--allow-untracked-files")
        assert updated.returncode == 0, updated.stdout + updated.stderr
        assert sorted(path.name for path in project.rglob("*.rej")) == []
        upgraded = flask(project, url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        checked = flask(project, url, "db", "check")
        assert checked.returncode == 0, checked.stderr
        after = json.loads(python(project, COUNT, url))

    kept = {table: after["counts"][table] for table in before["counts"]}
    assert kept == before["counts"]
    assert after["counts"]["email_verifications"] == 1  # the admin's address, moved out of users
    assert "email_verified_at" in before["users"]
    assert "email_verified_at" not in after["users"]


TABLES = """
import sys
from sqlalchemy import create_engine, inspect
print(" ".join(sorted(inspect(create_engine(sys.argv[1])).get_table_names())))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("answer", "tables"),
    [
        ("use_audit_log", {"audit_events", "audit_seals", "audit_settlement"}),
        ("use_account_emails", {"account_tokens", "email_verifications", "mail_outbox"}),
    ],
)
def test_a_capability_turned_on_later_brings_exactly_its_tables(
    two_layouts, tmp_path, answer, tables
):
    answers = json.dumps({"setup_environment": False, answer: False})
    created = cruft(
        tmp_path,
        *("create", "--no-input", "--output-dir", str(tmp_path)),
        *("--extra-context", answers, str(two_layouts)),
    )
    assert created.returncode == 0, created.stdout + created.stderr
    project = as_repository(tmp_path / "my_flask_api")

    with fresh_database("sqlite") as url:
        assert flask(project, url, "db", "upgrade").returncode == 0
        before = set(python(project, TABLES, url).split())
        updated = cruft(
            project,
            *("update", "--skip-apply-ask", "--allow-untracked-files"),
            *("--variables-to-update", json.dumps({answer: True})),
        )
        assert updated.returncode == 0, updated.stdout + updated.stderr
        upgraded = flask(project, url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        checked = flask(project, url, "db", "check")
        assert checked.returncode == 0, checked.stderr
        after = set(python(project, TABLES, url).split())

    assert not before & tables
    assert after - before == tables
