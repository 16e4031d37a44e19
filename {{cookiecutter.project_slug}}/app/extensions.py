"""Extension objects, created unbound and attached to the app in `create_app`."""

import os
from pathlib import Path
from typing import Any

from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app import capabilities
from app.core import ratelimits  # noqa: F401 - registers the sqlite:// counter storage with limits

# Stable constraint names make migrations reproducible on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = JWTManager()
cors = CORS()
talisman = Talisman()
limiter = Limiter(key_func=get_remote_address)


@migrate.configure
def add_capability_migrations(config: Any) -> Any:
    """Alembic reads migrations/versions and every installed capability's own folder
    (Flask-Migrate's configuration callbacks; Alembic's version_locations)."""
    core = Path(config.get_main_option("script_location")) / "versions"
    folders = [core, *capabilities.migration_folders()]
    config.set_main_option("version_locations", os.pathsep.join(map(str, folders)))
    return config
