"""`flask audit purge` (retention), `export` (incremental JSON lines), `seal` and `verify`
(tamper evidence); run from cron (README "Audit log: export and seals")."""

import json
from datetime import timedelta
from typing import IO, Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from app.audit import seals
from app.audit.errors import InvalidCursor
from app.audit.export import Cursor, Export
from app.core.database import utcnow

audit_cli = AppGroup("audit", help="Keep, export, seal and verify the audit log.")


def seal_key() -> bytes | None:
    key = current_app.config["AUDIT_SEAL_KEY"]
    return key.encode() if key else None


@audit_cli.command("purge")
@click.option(
    "--older-than",
    type=click.IntRange(min=1),
    help="Days to keep (default: AUDIT_RETENTION_DAYS).",
)
def purge(older_than: int | None) -> None:
    """Delete audit events older than the retention period, keeping the chain checkable."""
    days = older_than or current_app.config["AUDIT_RETENTION_DAYS"]
    purged = seals.purge_before(utcnow() - timedelta(days=days), seal_key())
    click.echo(f"Purged {purged} audit event{'' if purged == 1 else 's'} older than {days} days.")


@audit_cli.command("export")
@click.option("--after", help="The cursor the last export printed (default: from the start).")
@click.option("--output", type=click.File("w"), default="-", help="File to write (default: -).")
def export(after: str | None, output: IO[str]) -> None:
    """Write the events since the last export as JSON lines, with the seals over them.

    Each event comes once across successive runs, in the same order; the last line is
    {"cursor": ...}: pass it as --after next time.
    """
    try:
        run = Export(Cursor.decode(after))
    except InvalidCursor as error:
        raise click.BadParameter(error.message, param_hint="--after") from None
    for kind, item in run:
        line = {"seal": item} if kind == "seal" else item
        output.write(json.dumps(line, ensure_ascii=False) + "\n")
    output.write(json.dumps({"cursor": run.cursor.encode()}) + "\n")


@audit_cli.command("seal")
def seal() -> None:
    """Seal the events settled since the last seal (hourly); print the chain's head."""
    try:
        head = seals.seal(seal_key())
    except IntegrityError:
        raise click.ClickException("another seal was made at the same time: run again") from None
    click.echo(f"head: {head}")


@audit_cli.command("verify")
@click.option("--head", help="A head printed by `flask audit seal`: the chain must reach it.")
@click.option("--file", "file", type=click.File("r"), help="Verify an export instead.")
def verify(head: str | None, file: IO[str] | None) -> None:
    """Recompute every seal; name the first that fails."""
    try:
        if file is None:
            reached = seals.verify(seal_key(), head)
        else:
            reached = seals.verify_file(read_lines(file), seal_key(), head)
    except seals.ChainBroken as finding:
        raise click.ClickException(str(finding)) from None
    click.echo(f"verified: head {reached}")


def read_lines(file: IO[str]) -> list[dict[str, Any]]:
    lines = []
    for number, line in enumerate(file, start=1):
        try:
            parsed = json.loads(line) if line.strip() else None
        except json.JSONDecodeError as error:
            raise click.ClickException(f"not an export: line {number}: {error.msg}") from None
        if isinstance(parsed, dict):
            lines.append(parsed)
        elif parsed is not None:
            raise click.ClickException(f"not an export: line {number} is no JSON object")
    return lines
