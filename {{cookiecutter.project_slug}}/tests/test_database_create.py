"""`create_database`, behind `flask db create`: what it refuses before reaching any server.

The server side (creating, keeping, an unreachable server) runs for real in the template's tests,
and on every run of this suite on PostgreSQL or MySQL, whose test database it creates.
"""

import pytest

from app.core.database import DatabaseNotCreated, create_database


def test_sqlite_needs_nothing_created(tmp_path):
    assert create_database(f"sqlite:///{tmp_path / 'app.db'}") is False
    assert not (tmp_path / "app.db").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("oracle://scott@db.example.com/orders", "cannot create databases on oracle"),
        ("postgresql+psycopg://postgres@localhost:5432", "the database URL names no database"),
        ("mysql+pymysql://root@localhost:3306/", "the database URL names no database"),
    ],
)
def test_urls_it_cannot_act_on_are_refused_in_one_line(url, message):
    with pytest.raises(DatabaseNotCreated, match=f"^{message}$"):
        create_database(url)
