"""Security headers for a JSON API, applied by Flask-Talisman (and HSTS on every response)."""

from flask import Flask, Response
from flask_talisman import Talisman

# An API serves no scripts, styles or frames: allow nothing, and forbid being framed.
API_CSP = {"default-src": "'none'", "frame-ancestors": "'none'"}
ONE_YEAR = 365 * 24 * 3600
HSTS = f"max-age={ONE_YEAR}; includeSubDomains"


def init_security_headers(app: Flask, talisman: Talisman) -> None:
    """TLS ends at the proxy, so the app itself never redirects to HTTPS."""
    talisman.init_app(
        app,
        force_https=False,
        # Talisman sends HSTS only on requests it sees as HTTPS; behind a TLS proxy that may be
        # none of them, so it is sent on every response instead (browsers ignore it on HTTP).
        strict_transport_security=False,
        frame_options="DENY",
        content_security_policy=API_CSP,
        referrer_policy="no-referrer",
        session_cookie_secure=True,
        permissions_policy={},
    )
    app.after_request(add_hsts)


def add_hsts(response: Response) -> Response:
    response.headers["Strict-Transport-Security"] = HSTS
    return response
