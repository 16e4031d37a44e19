"""Application factory."""

import re

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.api.docs.route import register_docs
from app.api.health.route import bp as health_bp
from app.api.v1.auth.route import bp as auth_bp
from app.api.v1.users.route import bp as users_bp
from app.cli import seed_demo, sessions_cli, users_cli
from app.core.config import BaseConfig, config_for
from app.core.json import ApiRequest, StrictJSONProvider
from app.core.logging import configure_logging
from app.core.metrics import init_metrics
from app.core.routing import BoundedIntConverter
from app.core.security import add_hsts, security_headers
from app.core.sessions import NoSessionInterface
from app.core.telemetry import init_telemetry
from app.errors.handlers import register_error_handlers
from app.extensions import cors, db, jwt, limiter, migrate, talisman
from app.utils.auth import register_token_callbacks


class ApiFlask(Flask):
    """Flask with stricter JSON parsing and no cookie session (the API uses tokens)."""

    json_provider_class = StrictJSONProvider
    request_class = ApiRequest
    session_interface = NoSessionInterface()


# Browsers call the API; orchestrators call the probes, which need no CORS headers.
CORS_PATHS = re.compile(r"/(?!(health|ready)$)")
EXPOSED_HEADERS = ["X-Total-Count", "Link", "Retry-After", "X-Request-ID", "X-CSRF-Token"]


def create_app(config: BaseConfig | str | None = None) -> Flask:
    """Build the app for `config` (an object, or a name; default: FLASK_ENV)."""
    if not isinstance(config, BaseConfig):
        config = config_for(config)
    config.validate()

    app = ApiFlask(__name__)
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.from_object(config)
    if app.config["TRUSTED_PROXY_HOPS"]:
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    configure_logging(app)
    init_metrics(app)
    init_telemetry(app)
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
    talisman.init_app(app, **security_headers())
    app.after_request(add_hsts)

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(users_bp)
    register_docs(app)

    register_token_callbacks(jwt)
    register_error_handlers(app, jwt)
    app.cli.add_command(users_cli)
    app.cli.add_command(sessions_cli)
    app.cli.add_command(seed_demo)
    return app
