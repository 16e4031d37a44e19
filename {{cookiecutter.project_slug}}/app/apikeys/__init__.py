"""Personal API keys: a user's keys for scripts, taken by every route a signed-in user may call
(README "API keys")."""

from typing import Any

from flask import Flask


def init_app(app: Flask, api: Any) -> None:
    from app.apikeys import routes

    api.credential(routes.CREDENTIAL)
    api.register_blueprint(routes.bp)
