"""The in-memory rate-limit storage: counters expire, idle ones are swept, no timer threads."""

import threading
import time

from limits.storage import MemoryStorage

from app.extensions import limiter
from app.utils.limits import SweepingMemoryStorage


def settled(storage_class: type[MemoryStorage]) -> MemoryStorage:
    """A storage whose start-up timer (the library starts one) has already finished."""
    storage = storage_class()
    time.sleep(0.05)
    return storage


def test_memory_uri_gets_the_sweeping_storage(app):
    uri = app.config["RATELIMIT_STORAGE_URI"]

    assert isinstance(limiter._storage, SweepingMemoryStorage) is uri.startswith("memory://")


def test_a_counter_is_gone_once_its_window_ends():
    storage = SweepingMemoryStorage()
    storage.incr("client", expiry=0.05)
    assert storage.get("client") == 1

    time.sleep(0.06)

    assert storage.get("client") == 0


def test_counters_nobody_reads_again_are_swept(monkeypatch):
    storage = SweepingMemoryStorage()
    storage.incr("idle", expiry=0.01)
    time.sleep(0.02)
    monkeypatch.setattr(storage, "_next_sweep", 0.0)  # the next sweep is due

    storage.incr("active", expiry=60)

    assert "idle" not in storage.storage
    assert storage.get("active") == 1


def test_counting_starts_no_threads_unlike_the_library_storage(monkeypatch):
    started: list[threading.Thread] = []
    start = threading.Thread.start

    def counted_start(thread: threading.Thread) -> None:
        started.append(thread)
        start(thread)

    def threads_started_by_counting(storage: MemoryStorage) -> int:
        started.clear()
        for _ in range(50):
            storage.incr("client", expiry=60)
        return len(started)

    ours, theirs = settled(SweepingMemoryStorage), settled(MemoryStorage)
    monkeypatch.setattr(threading.Thread, "start", counted_start)

    assert threads_started_by_counting(ours) == 0
    assert threads_started_by_counting(theirs) >= 1  # the library's expiry timer
