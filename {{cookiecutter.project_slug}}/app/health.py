"""Liveness and readiness probes; never rate limited."""

import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app, request
from marshmallow import Schema, fields, validate
from sqlalchemy import text

from app.core.api import Blueprint
from app.extensions import db, limiter, migrate

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__, description="Probes for balancers and orchestrators.")


@limiter.request_filter
def is_probe() -> bool:
    """Probes never count against limits: a request filter skips them before any limit is
    resolved (an exempt blueprint would still have its limits looked up on every probe)."""
    return request.blueprint == bp.name


OK = "ok"
UNAVAILABLE = "unavailable"


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]))


class ReadinessSchema(Schema):
    status = fields.String(
        required=True, validate=validate.OneOf(["ready", "degraded", "draining"])
    )
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.OneOf([OK, UNAVAILABLE])),
        required=True,
    )


@bp.get("/health")
@bp.response(HTTPStatus.OK, HealthSchema, description="The process is up")
def health() -> dict[str, str]:
    """Report that the process is up, without touching any dependency."""
    return {"status": OK}


@bp.get("/ready")
@bp.response(HTTPStatus.OK, ReadinessSchema, description="Every dependency answers")
@bp.alt_response(
    HTTPStatus.SERVICE_UNAVAILABLE,
    schema=ReadinessSchema,
    description="Draining, or at least one dependency does not answer",
)
def ready() -> tuple[dict[str, object], int]:
    """Report whether the database (at this code's migrations or beyond) and Redis, when used,
    answer; 503 when any does not."""
    drain_file = current_app.config["DRAIN_FILE"]
    if drain_file and os.path.exists(drain_file):  # leaving the rotation before a stop
        return {"status": "draining", "checks": {}}, HTTPStatus.SERVICE_UNAVAILABLE
    checks = {"database": _database_state()}
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        checks["redis"] = _redis_state()
    if all(state == OK for state in checks.values()):
        return {"status": "ready", "checks": checks}, HTTPStatus.OK
    return {"status": "degraded", "checks": checks}, HTTPStatus.SERVICE_UNAVAILABLE


def _database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        reached = _schema_reached()
    except Exception:  # any failure means "not ready"
        db.session.rollback()
        logger.warning("readiness: database unavailable", exc_info=True)
        return UNAVAILABLE
    return OK if reached else UNAVAILABLE


# A database seen at this code's heads is taken as still there for this long: one query fewer
# per probe. One behind is read again at every probe, so readiness follows the migration.
SCHEMA_SEEN_SECONDS = 5.0
clock = time.monotonic  # tests replace it to move time on


@dataclass
class Migrations:
    """This code's migration scripts and their heads, read once per process."""

    script: ScriptDirectory
    heads: frozenset[str]
    reached_at: float | None = None


def schema_reached(script: ScriptDirectory, current: Iterable[str]) -> bool:
    """Whether a database at revisions `current` has every head of `script` applied.

    A revision `script` does not know was written by a newer release (expand-then-contract:
    its schema still serves this code), so such a database counts as reached.
    """
    current = set(current)
    heads = set(script.get_heads())
    if heads <= current:
        return True
    if current - {revision.revision for revision in script.walk_revisions()}:
        return True
    applied = {revision.revision for revision in script.iterate_revisions(tuple(current), "base")}
    return heads <= applied


def _schema_reached() -> bool:
    """Whether the database has reached this code's migration heads (cached while it has)."""
    migrations = current_app.extensions.get("health.migrations")
    if migrations is None:
        # From the project, not the working directory: a server may run from anywhere.
        directory = Path(current_app.root_path).parent / migrate.directory
        script = ScriptDirectory.from_config(migrate.get_config(str(directory)))
        migrations = Migrations(script, frozenset(script.get_heads()))
        current_app.extensions["health.migrations"] = migrations
    now = clock()
    if migrations.reached_at is not None and now - migrations.reached_at < SCHEMA_SEEN_SECONDS:
        return True
    current = MigrationContext.configure(db.session.connection()).get_current_heads()
    if not schema_reached(migrations.script, current):
        heads = ", ".join(sorted(migrations.heads))
        logger.warning(
            "readiness: the database is at %s, this code needs %s: run `flask db upgrade`",
            ", ".join(current) or "no revision",
            heads,
        )
        migrations.reached_at = None
        return False
    migrations.reached_at = now
    return True


def _redis_state() -> str:
    try:
        reachable = limiter.storage.check()
    except Exception:  # noqa: BLE001
        reachable = False
    if not reachable:
        logger.warning("readiness: Redis unavailable; rate limits are per process until it returns")
    return OK if reachable else UNAVAILABLE
