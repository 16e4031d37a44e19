"""Rate-limit counters in a SQLite file: one budget per client for every worker on the machine.

`RATELIMIT_STORAGE_URI=sqlite:////absolute/path/limits.sqlite3` (SQLAlchemy's spelling; three
slashes and a relative path are relative to the project's folder, whatever the working
directory: `sqlite:///instance/ratelimits.sqlite3` is this project's own file). Each hit is one
upsert in one statement, so counters stay exact whichever worker process or thread answers; the
file holds only counters and is never synced to disk (losing it in a crash resets the limits,
nothing else).
Several machines need a storage they share: Redis.

A storage class of our own, registered by its URI scheme as limits documents it
(https://limits.readthedocs.io/en/stable/custom-storage.html). It serves the fixed-window
strategy, Flask-Limiter's default and the one this app uses.
"""

import os
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage

SCHEME = "sqlite"
PROJECT = Path(__file__).resolve().parents[2]
# Rows of windows that ended are deleted at most this often, by whichever hit comes next.
SWEEP_SECONDS = 60
SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL
) WITHOUT ROWID
"""
# A window that has ended starts again at `amount`; RETURNING needs SQLite 3.35 (2021).
HIT = """
INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN expires_at <= :now THEN :amount ELSE count + :amount END,
    expires_at = CASE WHEN expires_at <= :now THEN :now + :expiry ELSE expires_at END
RETURNING count
"""
COUNT = "SELECT count FROM counters WHERE key = ? AND expires_at > ?"
EXPIRY = "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?"


class SQLiteStorage(Storage):
    """Fixed-window counters in one SQLite file, shared by the processes that open it."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 - limits declares it so and reads it at class creation

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool):
        path = Path(uri.removeprefix(f"{SCHEME}:///"))
        self.path = path if path.is_absolute() else PROJECT / path
        self.timeout = float(options.pop("timeout", 5))
        self.lock = threading.Lock()
        self.connection: sqlite3.Connection | None = None
        self.owner = 0
        self.next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def connect(self) -> sqlite3.Connection:
        """This process's connection, opened on first use (after gunicorn forks its workers)."""
        if self.connection is None or self.owner != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            # Readers never wait for the writer; counters are worth no fsync.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(SCHEMA)
            self.connection, self.owner = connection, os.getpid()
        return self.connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self.lock:
            connection = self.connect()
            if now >= self.next_sweep:
                connection.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
                self.next_sweep = now + SWEEP_SECONDS
            hit = {"key": key, "amount": amount, "now": now, "expiry": expiry}
            (count,) = connection.execute(HIT, hit).fetchone()
        return int(count)

    def get(self, key: str) -> int:
        with self.lock:
            found = self.connect().execute(COUNT, (key, time.time())).fetchone()
        return int(found[0]) if found else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with self.lock:
            found = self.connect().execute(EXPIRY, (key, now)).fetchone()
        return float(found[0]) if found else now

    def check(self) -> bool:
        with self.lock:
            self.connect().execute("SELECT 1").fetchone()
        return True

    def reset(self) -> int | None:
        with self.lock:
            return self.connect().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        with self.lock:
            self.connect().execute("DELETE FROM counters WHERE key = ?", (key,))
