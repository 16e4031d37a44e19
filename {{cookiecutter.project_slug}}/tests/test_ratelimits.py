"""The sqlite:// counter storage (app/core/ratelimits.py), through limits' public strategy API."""

import uuid
from pathlib import Path

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.core import ratelimits

LIMIT = parse("3 per minute")


def limiter_on(path: Path) -> FixedWindowRateLimiter:
    """What each worker process builds from RATELIMIT_STORAGE_URI: its own storage object."""
    return FixedWindowRateLimiter(storage_from_string(f"sqlite:///{path}"))


def test_workers_on_one_file_share_one_budget(tmp_path):
    workers = [limiter_on(tmp_path / "limits.sqlite3") for _ in range(2)]

    hits = [workers[n % 2].hit(LIMIT, "client") for n in range(5)]

    assert hits == [True, True, True, False, False]
    assert workers[0].get_window_stats(LIMIT, "client").remaining == 0


def test_a_window_that_ended_starts_again(tmp_path, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(ratelimits.time, "time", lambda: clock[0])
    limiter = limiter_on(tmp_path / "limits.sqlite3")
    assert [limiter.hit(LIMIT, "client") for _ in range(4)] == [True, True, True, False]

    clock[0] += 60

    assert limiter.hit(LIMIT, "client")
    assert limiter.get_window_stats(LIMIT, "client").remaining == 2


def test_keys_count_apart_and_clear_alone(tmp_path):
    limiter = limiter_on(tmp_path / "limits.sqlite3")
    for _ in range(3):
        limiter.hit(LIMIT, "a")
    limiter.hit(LIMIT, "b")

    limiter.clear(LIMIT, "a")

    assert limiter.get_window_stats(LIMIT, "a").remaining == 3
    assert limiter.get_window_stats(LIMIT, "b").remaining == 2


def test_reset_empties_every_counter(tmp_path):
    storage = storage_from_string(f"sqlite:///{tmp_path / 'limits.sqlite3'}")
    FixedWindowRateLimiter(storage).hit(LIMIT, "a")

    assert storage.reset() == 1
    assert storage.check()


def test_a_relative_path_is_under_the_project_whatever_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = f"instance/test-{uuid.uuid4().hex}.sqlite3"
    storage = storage_from_string(f"sqlite:///{name}")
    try:
        assert FixedWindowRateLimiter(storage).hit(LIMIT, "a")
        assert (ratelimits.PROJECT / name).exists()
        assert not (tmp_path / name).exists()
    finally:
        for path in ratelimits.PROJECT.glob(f"{name}*"):  # with SQLite's -wal and -shm files
            path.unlink()
