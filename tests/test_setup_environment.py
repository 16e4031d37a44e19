"""`setup_environment=yes` on each database: the hook creates the database and migrates it, the
render's tests run on `<name>_test`, and a server that does not answer still ends in exit 0."""

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MYSQL_HOST, PG_ADMIN_URL, free_port, run, stored_heads


def admin(kind: str, sql: str, *params: str) -> list[tuple]:
    """Run one statement as the server's administrator; return its rows."""
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    import pymysql

    conn = pymysql.connect(host=MYSQL_HOST, user="root", autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params or None)
            return list(cursor.fetchall())
    finally:
        conn.close()


def migration_of(kind: str, database: str) -> list[tuple]:
    """The rows of alembic_version in `database`."""
    if kind == "postgresql":
        import psycopg

        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return admin(kind, f"SELECT version_num FROM `{database}`.alembic_version")


def database_exists(kind: str, name: str) -> bool:
    if kind == "postgresql":
        return bool(admin(kind, "SELECT 1 FROM pg_database WHERE datname = %s", name))
    sql = "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s"
    return bool(admin(kind, sql, name))


def drop(kind: str, name: str) -> None:
    if kind == "postgresql":
        admin(kind, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        admin(kind, f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def unique_name(request) -> Iterator[str]:
    """A project name whose database (and `<name>_test`) nobody else uses; both dropped after."""
    slug = f"tpl_setup_{uuid.uuid4().hex[:10]}"
    yield slug
    kind = request.node.callspec.params.get("database", "sqlite")
    if kind != "sqlite":
        for name in (slug, f"{slug}_test"):
            drop(kind, name)


@pytest.fixture
def clean_environment(monkeypatch) -> None:
    """The hook and the render's tests read DATABASE_URL from .env, not from this process."""
    for name in ("DATABASE_URL", "TEST_DATABASE_URL", "FLASK_ENV", "VIRTUAL_ENV"):
        monkeypatch.delenv(name, raising=False)


def bake_with_setup(cookies, **answers: object) -> tuple[Path, int]:
    result = cookies.bake(extra_context={"setup_environment": True, **answers})
    return Path(result.project_path or ""), result.exit_code


def assert_set_up_completely(printed: str, project: Path) -> None:
    assert "Set-up stopped" not in printed
    assert "make install" not in printed
    assert "make migrate" not in printed
    assert (project / ".venv" / "bin" / "flask").exists()


@pytest.mark.slow
def test_setup_migrates_the_sqlite_database(cookies, capfd, clean_environment):
    project, exit_code = bake_with_setup(cookies)

    assert exit_code == 0
    assert_set_up_completely(capfd.readouterr().out, project)
    with sqlite3.connect(project / "instance" / "app.db") as conn:
        stored = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        assert {version for (version,) in stored} == stored_heads(project)
        assert conn.execute("SELECT name FROM roles ORDER BY id").fetchall() == [
            ("admin",),
            ("user",),
        ]


@pytest.mark.slow
@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_setup_creates_the_server_database_and_tests_run_on_its_test_twin(
    cookies, capfd, clean_environment, unique_name, database
):
    project, exit_code = bake_with_setup(cookies, project_name=unique_name, database=database)

    assert exit_code == 0
    assert_set_up_completely(capfd.readouterr().out, project)
    assert {version for (version,) in migration_of(database, unique_name)} == stored_heads(project)

    result = run(
        [str(project / ".venv" / "bin" / "pytest"), "-p", "no:cacheprovider", "tests/test_cli.py"],
        cwd=project,
    )

    assert result.returncode == 0, result.stdout[-3000:]
    header = re.search(r"^database: (.*)$", result.stdout, re.M)
    assert header, result.stdout[:2000]
    assert re.search(rf"/{unique_name}_test(\?|$)", header[1]), header[1]
    assert database_exists(database, f"{unique_name}_test")
    # The development database is left as the hook migrated it.
    assert {version for (version,) in migration_of(database, unique_name)} == stored_heads(project)


@pytest.mark.slow
@pytest.mark.parametrize("database", ["postgresql"])
def test_a_server_that_does_not_answer_ends_in_exit_0_and_one_paragraph(
    cookies, capfd, clean_environment, monkeypatch, unique_name, database
):
    # The hook's `flask` commands honour DATABASE_URL from the environment over .env; nothing
    # listens on this port.
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/{unique_name}"
    monkeypatch.setenv("DATABASE_URL", url)

    project, exit_code = bake_with_setup(cookies, project_name=unique_name, database=database)
    printed = capfd.readouterr()

    assert exit_code == 0
    assert "Traceback" not in printed.out + printed.err
    # Where the chosen Python is absent, the hook says first which one .venv got.
    paragraphs = printed.out.strip().split("\n\n")
    paragraph, guide = [text for text in paragraphs if " is not installed here: " not in text]
    failure, finish = paragraph.splitlines()
    assert failure.startswith(
        f"Set-up stopped: flask db create failed: could not create the database {url}: "
    ), failure
    assert "refused" in failure.lower()
    assert finish == (
        "The project is generated; once the database server in DATABASE_URL (.env) accepts "
        f"connections, finish with: cd {unique_name} && make migrate"
    )
    assert "make migrate" in guide
    assert "make install" not in guide  # .venv is there
    # The command it names finishes the set-up once the server answers.
    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:5432/{unique_name}"
    )
    finished = run(["make", "migrate"], cwd=project)
    assert finished.returncode == 0, finished.stderr
    assert {version for (version,) in migration_of(database, unique_name)} == stored_heads(project)
