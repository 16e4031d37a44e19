"""The database the suite runs on: the project's own kind, never the development database.

TEST_DATABASE_URL wins (`TEST_DATABASE_URL=sqlite://` runs on SQLite in memory). Otherwise a
project on PostgreSQL or MySQL tests on `<name>_test` on the server DATABASE_URL names (the
environment first, then .env), created when missing; a SQLite project on a new file per run.
"""

import os
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from app.core.config import DEFAULT_DATABASE_URL

ENV_FILE = Path(__file__).resolve().parent.parent / ".env"


def development_database_url() -> str:
    """DATABASE_URL as `flask` sees it: the environment, then .env, then the generated default."""
    return (
        os.environ.get("DATABASE_URL")
        or dotenv_values(ENV_FILE).get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )


def chosen_test_database_url() -> str | None:
    """The URL the suite runs on; None for a new SQLite file in the run's temporary folder."""
    explicit = os.environ.get("TEST_DATABASE_URL", "").strip()
    if explicit:
        return explicit
    url = make_url(development_database_url())
    if url.get_backend_name() == "sqlite":
        return None
    return url.set(database=f"{url.database}_test").render_as_string(hide_password=False)


def describe(url: str | None) -> str:
    """The line pytest prints in its header: which database, password masked."""
    if url is None:
        return "database: SQLite, a new file for this run (TEST_DATABASE_URL picks another)"
    return f"database: {make_url(url).render_as_string(hide_password=True)}"
