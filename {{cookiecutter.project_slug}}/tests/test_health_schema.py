"""/ready and the migrations: ready once the database has every head of this code's migrations
applied, or has gone beyond them (a newer release migrated it), never before."""

import itertools
from http import HTTPStatus
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from app import health
from app.extensions import db

REVISION = """\
revision = {revision!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
"""


@pytest.fixture
def two_branches(tmp_path: Path) -> ScriptDirectory:
    """core a1 -> a2 beside mail b1, its own base: two heads, as branch labels give them."""
    versions = tmp_path / "versions"
    versions.mkdir()
    for revision, down, labels in (
        ("a1", None, ("core",)),
        ("a2", "a1", None),
        ("b1", None, ("mail",)),
    ):
        text_ = REVISION.format(revision=revision, down=down, labels=labels)
        (versions / f"{revision}.py").write_text(text_)
    return ScriptDirectory(str(tmp_path))


@pytest.mark.parametrize(
    ("current", "reached"),
    [
        (("a2", "b1"), True),
        (("a2",), False),
        (("a1", "b1"), False),
        ((), False),
        (("a2", "c9"), True),
        (("c9",), True),
    ],
    ids=[
        "every-head",
        "one-branch-missing",
        "one-branch-behind",
        "untouched",
        "one-ahead",
        "ahead",
    ],
)
def test_schema_is_reached_only_with_every_head_applied_or_passed(two_branches, current, reached):
    assert health.schema_reached(two_branches, current) is reached


_epochs = itertools.count(step=1_000)  # each test starts past the last one's cached answer


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The readiness clock, at the time the test writes into now[0]."""
    now = [1_000_000.0 + next(_epochs)]
    monkeypatch.setattr(health, "clock", lambda: now[0])
    return now


def ready(client) -> tuple[int, str]:
    response = client.get("/ready")
    return response.status_code, response.json["checks"]["database"]


def test_ready_is_503_on_a_database_the_migrations_have_not_touched(client, clock):
    db.session.execute(text("DELETE FROM alembic_version"))  # rolled back after the test

    assert ready(client) == (HTTPStatus.SERVICE_UNAVAILABLE, "unavailable")


def test_ready_stays_200_on_a_database_a_newer_release_migrated(client, clock):
    # One row per branch head: the newer release's revision stands in for all of them.
    db.session.execute(text("DELETE FROM alembic_version"))
    db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES ('ffff_newer')"))

    assert ready(client) == (HTTPStatus.OK, "ok")


def test_ready_reads_the_database_revision_again_after_a_few_seconds(client, clock):
    assert ready(client) == (HTTPStatus.OK, "ok")
    db.session.execute(text("DELETE FROM alembic_version"))

    clock[0] += health.SCHEMA_SEEN_SECONDS - 1
    cached = ready(client)
    clock[0] += 1
    assert (cached, ready(client)) == (
        (HTTPStatus.OK, "ok"),
        (HTTPStatus.SERVICE_UNAVAILABLE, "unavailable"),
    )
