"""Wait until the database in DATABASE_URL answers `SELECT 1`, retrying until a deadline.

The entrypoint runs this before `flask db upgrade`: a database container may be up before it
accepts connections. SQLite has no server to wait for, so it returns at once.
A server that answers but refuses for a reason waiting cannot change (the database or the user
does not exist, a wrong password) ends the wait at once.
Exit status: 0 once the database answers, 1 when the deadline passes or the server refuses,
2 on unusable settings.
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

from dotenv import load_dotenv
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT = "60"
# One attempt may not hang on a host that drops packets; the drivers default to minutes.
CONNECT_TIMEOUT_SECONDS = 5
SERVER_BACKENDS = ("postgresql", "mysql")
# psycopg gives no SQLSTATE for a failed connect, so PostgreSQL's refusals are known by the
# server's message; PyMySQL's carry MySQL's error numbers (1044/1045: access denied,
# 1049: unknown database). "the database system is starting up" is not among them: it passes.
PERMANENT = re.compile(
    r'FATAL:\s+(?:(?:database|role) "[^"]*" does not exist|password authentication failed'
    r"|no pg_hba\.conf entry)"
    r"|^\((?:1044|1045|1049),"
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Wait until DATABASE_URL answers SELECT 1.")
    parser.add_argument(
        "--timeout",
        type=float,
        default=os.environ.get("DB_WAIT_TIMEOUT") or DEFAULT_TIMEOUT,  # argparse converts it
        help="seconds to keep trying (default: DB_WAIT_TIMEOUT, else 60)",
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between attempts")
    return parser.parse_args(argv)


def connect_engine(url: URL) -> Engine:
    """An engine that opens a fresh connection per attempt, each bounded in time."""
    connect_args: dict[str, int] = {}
    if url.get_backend_name() in SERVER_BACKENDS:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def connection_error(engine: Engine) -> str | None:
    """Run SELECT 1; return None if it worked, else the driver's error in one line."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        return " ".join(str(exc.orig).split())
    return None


def wait_for_database(engine: Engine, timeout: float, interval: float) -> str | None:
    """Retry until the database answers (return None), or `timeout` passes or the server
    refuses for good (return the error)."""
    deadline = time.monotonic() + timeout
    shown = None
    while (error := connection_error(engine)) is not None:
        if PERMANENT.search(error) or time.monotonic() + interval >= deadline:
            return error
        if error != shown:
            print(f"wait_for_db: not ready yet ({error}); retrying", file=sys.stderr)
            shown = error
        time.sleep(interval)
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_dotenv(PROJECT / ".env")  # outside a container; variables already set win
    raw_url = os.environ.get("DATABASE_URL", "").strip()
    if not raw_url:
        print("wait_for_db: DATABASE_URL is not set", file=sys.stderr)
        return 2
    try:
        url = make_url(raw_url)
        if url.get_backend_name() == "sqlite":
            return 0
        engine = connect_engine(url)
    except (ArgumentError, ImportError) as exc:
        print(f"wait_for_db: cannot use DATABASE_URL: {exc}", file=sys.stderr)
        return 2

    shown_url = url.render_as_string(hide_password=True)
    started = time.monotonic()
    error = wait_for_database(engine, args.timeout, args.interval)
    if error is not None and PERMANENT.search(error):
        print(f"wait_for_db: the database at {shown_url} refused: {error}", file=sys.stderr)
        return 1
    if error is not None:
        print(
            f"wait_for_db: gave up after {args.timeout:g} s: the database at {shown_url} "
            f"did not answer: {error}",
            file=sys.stderr,
        )
        return 1
    print(f"wait_for_db: {shown_url} is up ({time.monotonic() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
