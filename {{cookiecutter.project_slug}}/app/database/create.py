"""Create the database a URL names on its server, unless it exists (`flask db create`)."""

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.core.config import CONNECT_TIMEOUT

# A database every server has, to connect to while the one named does not exist yet.
MAINTENANCE_DATABASE = {"postgresql": "postgres", "mysql": "information_schema"}
EXISTS = {
    "postgresql": "SELECT 1 FROM pg_database WHERE datname = :name",
    "mysql": "SELECT 1 FROM information_schema.schemata WHERE schema_name = :name",
}
CREATE = {
    "postgresql": "CREATE DATABASE {name}",
    "mysql": "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
}


class DatabaseNotCreated(RuntimeError):
    """The server could not be reached, or refused; the message is one line."""


def server_engine(url: URL) -> Engine:
    """An engine on `url`'s server, outside any transaction, on its maintenance database."""
    return create_engine(
        url.set(database=MAINTENANCE_DATABASE[url.get_backend_name()]),
        isolation_level="AUTOCOMMIT",  # CREATE/DROP DATABASE cannot run inside a transaction
        poolclass=NullPool,
        connect_args={"connect_timeout": CONNECT_TIMEOUT},
    )


def create_database(url: str | URL) -> bool:
    """Create the database `url` names unless it exists; return whether it was created.

    SQLite creates its file on first use, so there is nothing to do for it.
    """
    url = make_url(url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return False
    if backend not in EXISTS:
        raise DatabaseNotCreated(f"cannot create databases on {backend}")
    if not url.database:
        raise DatabaseNotCreated("the database URL names no database")
    engine = server_engine(url)
    try:
        with engine.connect() as connection:
            if connection.execute(text(EXISTS[backend]), {"name": url.database}).first():
                return False
            # IdentifierPreparer.quote_identifier (SQLAlchemy "Core Internals" reference) quotes
            # the name as this server expects, whatever characters it holds.
            name = connection.dialect.identifier_preparer.quote_identifier(url.database)
            try:
                connection.exec_driver_sql(CREATE[backend].format(name=name))
            except DBAPIError:
                # Created meanwhile by another process is as good as created here.
                if connection.execute(text(EXISTS[backend]), {"name": url.database}).first():
                    return False
                raise
        return True
    except DBAPIError as exc:
        reason = (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]
        raise DatabaseNotCreated(reason) from None
    finally:
        engine.dispose()
