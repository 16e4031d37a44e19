"""API documentation: the OpenAPI document flask-smorest builds, and Swagger UI served offline."""

from importlib.resources import files

from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory, url_for
from markupsafe import escape

from app.extensions import limiter, talisman

bp = Blueprint("docs", __name__, static_folder="static", static_url_path="/docs/static")
# Static content, and one page load fetches five files: the API's limits are not for this.
limiter.exempt(bp)

SWAGGER_UI = str(files("flask_swagger_ui") / "dist")
# Only this page runs scripts, and only the server's own; Swagger UI's icons are data: URIs.
DOCS_CSP = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
}
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>API documentation</title>
  <link rel="stylesheet" href="{css}">
  <link rel="icon" type="image/png" href="{icon}">
</head>
<body>
  <div id="swagger-ui" data-url="{spec}"></div>
  <script src="{bundle}"></script>
  <script src="{init}"></script>
</body>
</html>
"""


def register_docs(app: Flask) -> None:
    """Serve the docs when OPENAPI_ENABLED is on; otherwise their URLs stay 404."""
    if app.config["OPENAPI_ENABLED"]:
        app.register_blueprint(bp)


@bp.get("/openapi.json")
def openapi() -> Response:
    """Serve the OpenAPI document."""
    return jsonify(current_app.extensions["api"].spec.to_dict())


@bp.get("/docs")
@talisman(content_security_policy=DOCS_CSP)
def swagger_ui() -> str:
    """Serve the Swagger UI page for /openapi.json."""
    return PAGE.format(
        css=_url("docs.swagger_asset", filename="swagger-ui.css"),
        icon=_url("docs.swagger_asset", filename="favicon-32x32.png"),
        bundle=_url("docs.swagger_asset", filename="swagger-ui-bundle.js"),
        init=_url("docs.static", filename="swagger-init.js"),
        spec=_url("docs.openapi"),
    )


@bp.get("/docs/swagger-ui/<path:filename>")
def swagger_asset(filename: str) -> Response:
    """Serve a file of the Swagger UI distribution."""
    return send_from_directory(SWAGGER_UI, filename)


def _url(endpoint: str, **values: str) -> str:
    return str(escape(url_for(endpoint, **values)))
