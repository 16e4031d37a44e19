"""Column types shared by the models, and `flask db create`'s work: the database on its server."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.config import CONNECT_TIMEOUT

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


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC (SQLite and MySQL keep no zone) and hand back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class DatabaseNotCreated(RuntimeError):
    """The server could not be reached, or refused; the message is one line."""


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
    engine = create_engine(
        url.set(database=MAINTENANCE_DATABASE[backend]),
        isolation_level="AUTOCOMMIT",  # CREATE DATABASE cannot run inside a transaction
        poolclass=NullPool,
        connect_args={"connect_timeout": CONNECT_TIMEOUT},
    )
    exists = text(EXISTS[backend]).bindparams(name=url.database)
    try:
        with engine.connect() as connection:
            if connection.execute(exists).first():
                return False
            # IdentifierPreparer.quote_identifier (SQLAlchemy "Core Internals" reference) quotes
            # the name as this server expects, whatever characters it holds.
            name = connection.dialect.identifier_preparer.quote_identifier(url.database)
            try:
                connection.exec_driver_sql(CREATE[backend].format(name=name))
            except DBAPIError:
                # Created meanwhile by another process is as good as created here.
                if connection.execute(exists).first():
                    return False
                raise
        return True
    except DBAPIError as exc:
        reason = (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]
        raise DatabaseNotCreated(reason) from None
    finally:
        engine.dispose()
