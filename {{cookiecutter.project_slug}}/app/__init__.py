"""Application factory."""

import re

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import capabilities, cli, docs, health
from app.auth.routes import bp as auth_bp
from app.auth.tokens import actor_of_access_token, register_token_callbacks
from app.config import Config, config_for
from app.core.api import Api
from app.core.http import ApiFlask
from app.core.logging import init_logging
from app.core.security import init_security_headers
from app.errors import register_error_handlers
from app.extensions import cors, db, jwt, limiter, migrate, talisman
from app.users.routes import bp as users_bp

# Browsers call the API; orchestrators call the probes, which need no CORS headers.
CORS_PATHS = re.compile(r"/(?!(health|ready)$)")
EXPOSED_HEADERS = ["X-Total-Count", "Link", "Retry-After", "X-Request-ID", "X-CSRF-Token"]


def create_app(config: Config | str | None = None) -> Flask:
    """Build the app for `config` (an object, or a name; default: FLASK_ENV)."""
    if not isinstance(config, Config):
        config = config_for(config)
    config.validate()

    app = ApiFlask(__name__, static_folder=None)
    app.config.from_object(config)
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    init_logging(app)
    db.init_app(app)
    migrate.init_app(app, db, compare_type=True, render_as_batch=True)
    jwt.init_app(app)
    limiter.init_app(app)
    cors.init_app(
        app,
        resources=CORS_PATHS,
        origins=app.config["CORS_ORIGINS"],
        supports_credentials=True,
        expose_headers=EXPOSED_HEADERS,
    )
    init_security_headers(app, talisman)
    api = Api(app)
    api.access_token_user_loader(actor_of_access_token)
    # Before the core's blueprints are registered: a capability may add routes to them.
    for capability in capabilities.packages():
        capability.init_app(app, api)
    api.register_blueprint(health.bp)
    api.register_blueprint(auth_bp)
    api.register_blueprint(users_bp)
    docs.register_docs(app)

    register_token_callbacks(jwt)
    register_error_handlers(app, jwt)
    cli.register_commands(app)
    return app
