"""`flask audit purge` (retention, from cron) and `flask audit export` (JSON lines)."""

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import IO

import click
from flask import current_app
from flask.cli import AppGroup

from app.audit import service

audit_cli = AppGroup("audit", help="Keep and export the audit log.")
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


@audit_cli.command("purge")
@click.option(
    "--older-than",
    type=click.IntRange(min=1),
    help="Days to keep (default: AUDIT_RETENTION_DAYS).",
)
def purge(older_than: int | None) -> None:
    """Delete audit events older than the retention period (daily)."""
    days = older_than or current_app.config["AUDIT_RETENTION_DAYS"]
    purged = service.purge(timedelta(days=days))
    click.echo(f"Purged {purged} audit event{'' if purged == 1 else 's'} older than {days} days.")


@audit_cli.command("export")
@click.option(
    "--since", required=True, type=click.DateTime(DATE_FORMATS), help="From (UTC), inclusive."
)
@click.option("--until", type=click.DateTime(DATE_FORMATS), help="To (UTC), exclusive.")
@click.option("--output", type=click.File("w"), default="-", help="File to write (default: -).")
def export(since: datetime, until: datetime | None, output: IO[str]) -> None:
    """Write audit events as JSON lines, oldest first, for a log store or an auditor."""
    start = since.replace(tzinfo=UTC)
    end = until.replace(tzinfo=UTC) if until else None
    for event in service.export(start, end):
        line = asdict(event) | {"created_at": event.created_at.isoformat()}
        output.write(json.dumps(line, ensure_ascii=False) + "\n")
