"""The security audit log: every security event in the transaction of its change, read by
admins and by each user for their own account, exported and purged by `flask audit`
(README "Audit log")."""

from typing import Any

from flask import Flask


def init_app(app: Flask, api: Any) -> None:
    # The routes import the service, which subscribes to the core's security events.
    from app.audit import routes
    from app.audit.cli import audit_cli

    api.register_blueprint(routes.bp)
    app.cli.add_command(audit_cli)
