"""Security headers for a JSON API, applied by Flask-Talisman."""

from typing import Any

from flask import Response

# An API serves no scripts, styles or frames: allow nothing, and forbid being framed.
API_CSP = {"default-src": "'none'", "frame-ancestors": "'none'"}
ONE_YEAR = 365 * 24 * 3600
HSTS = f"max-age={ONE_YEAR}; includeSubDomains"


def security_headers() -> dict[str, Any]:
    """Talisman options. TLS ends at the proxy, so the app itself never redirects to HTTPS."""
    return {
        "force_https": False,
        # Talisman sends HSTS only on requests it sees as HTTPS; behind a TLS proxy that
        # may be none of them, so `add_hsts` sends it on every response instead.
        "strict_transport_security": False,
        "frame_options": "DENY",
        "content_security_policy": API_CSP,
        "referrer_policy": "no-referrer",
        "session_cookie_secure": True,
        "permissions_policy": {},
    }


def add_hsts(response: Response) -> Response:
    """Send HSTS on every response (browsers ignore it on plain HTTP)."""
    response.headers["Strict-Transport-Security"] = HSTS
    return response
