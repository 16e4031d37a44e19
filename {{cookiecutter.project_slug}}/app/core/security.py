"""Security headers for a JSON API, applied by Flask-Talisman."""

from typing import Any, NamedTuple

from flask import Flask, Response, current_app, request
from flask_talisman import Talisman
from werkzeug.datastructures import Headers

# An API serves no scripts, styles or frames: allow nothing, and forbid being framed.
API_CSP = {"default-src": "'none'", "frame-ancestors": "'none'"}
ONE_YEAR = 365 * 24 * 3600
HSTS = f"max-age={ONE_YEAR}; includeSubDomains"
POLICIES_KEY = "talisman_policies"


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


class EndpointPolicy(NamedTuple):
    """What Talisman does for one endpoint, worked out the first time it answers."""

    force_https: bool
    nonce: bool
    headers: list[tuple[str, str]] | None  # None: they depend on the request


class ApiTalisman(Talisman):  # type: ignore[misc]  # Flask-Talisman ships no types
    """Talisman that works out each endpoint's headers once, then copies them onto responses.

    Talisman re-reads the view's options five times and re-formats the CSP on every request.
    With no CSP nonce and no HSTS of its own, nothing in its headers depends on the request,
    only on the endpoint's options, so they are built the first time an endpoint answers.
    Anything request-dependent (a nonce, HTTPS redirects, its HSTS) takes Talisman's own path.
    """

    def init_app(self, app: Flask, **options: Any) -> None:
        super().init_app(app, **options)
        # Per app: Talisman's own hook would set this on every request instead.
        if self.session_cookie_secure and not app.debug:
            app.config["SESSION_COOKIE_SECURE"] = True
        app.extensions[POLICIES_KEY] = {}

    def _policy(self) -> EndpointPolicy:
        known: dict[str | None, EndpointPolicy] = current_app.extensions[POLICIES_KEY]
        endpoint = request.endpoint
        if endpoint not in known:
            options = self._get_local_options()
            nonce = bool(options["content_security_policy_nonce_in"])
            known[endpoint] = EndpointPolicy(
                force_https=bool(options["force_https"]),
                nonce=nonce,
                # A nonce or Talisman's own HSTS depends on the request: no fixed headers then.
                headers=None if nonce or self.strict_transport_security else self._headers(options),
            )
        return known[endpoint]

    def _force_https(self) -> Any:
        return super()._force_https() if self._policy().force_https else None

    def _make_nonce(self) -> None:
        if self._policy().nonce:
            super()._make_nonce()

    def _set_response_headers(self, response: Response) -> Response:
        headers = self._policy().headers
        if headers is None:
            result: Response = super()._set_response_headers(response)
            return result
        for name, value in headers:
            response.headers[name] = value
        return response

    def _headers(self, options: dict[str, Any]) -> list[tuple[str, str]]:
        """The headers Talisman's response hook sets for these options, HSTS aside."""
        headers = Headers()
        self._set_feature_policy_headers(headers, options)
        self._set_permissions_policy_headers(headers, options)
        self._set_document_policy_headers(headers, options)
        self._set_frame_options_headers(headers, options)
        self._set_content_security_policy_headers(headers, options)
        self._set_referrer_policy_headers(headers)
        return list(headers.items())
