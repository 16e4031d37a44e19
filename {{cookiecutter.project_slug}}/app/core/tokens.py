"""Flask-JWT-Extended, without decoding the same token four times on every request.

For each request the library base64-decodes and parses the token four times (two of them
without checking the signature) and PyJWT checks every character of every segment in Python:
on an authenticated request that was the largest single cost. Here a token whose signature and
claims this app has already verified is recognised by its whole encoded text, and only the
time claims are checked again. Nothing else is cached: the revocation check (the session
lookup in app.utils.auth) still runs on every request.
"""

import threading
import time
from collections import OrderedDict
from typing import Any

from flask import Flask, current_app
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config

# Tokens remembered per app: an access token lives 15 minutes, so this covers 2,048 clients
# active in the same quarter hour; beyond that the oldest are simply verified again.
CACHE_SIZE = 2048
EXTENSION_KEY = "verified_tokens"


def within_time_claims(claims: dict[str, Any], now: float, leeway: float) -> bool:
    """PyJWT's checks of `exp`, `nbf` and `iat`, with the same bounds."""
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if exp is not None and exp <= now - leeway:
        return False
    if nbf is not None and nbf > now + leeway:
        return False
    return iat is None or iat <= now + leeway


class VerifiedTokens:
    """Claims of tokens verified in full, keyed by the encoded token; least recently used go."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._claims: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()  # gunicorn may run threaded workers
        self._size = size

    def __len__(self) -> int:
        return len(self._claims)

    def get(self, token: str, leeway: float) -> dict[str, Any] | None:
        """A copy of the claims of `token` if it was verified and is still in time, else None."""
        with self._lock:
            claims = self._claims.get(token)
            if claims is None:
                return None
            self._claims.move_to_end(token)
        if not within_time_claims(claims, time.time(), leeway):
            with self._lock:
                self._claims.pop(token, None)
            return None  # the full check runs and raises the library's own error
        return dict(claims)

    def put(self, token: str, claims: dict[str, Any]) -> None:
        with self._lock:
            self._claims[token] = dict(claims)
            self._claims.move_to_end(token)
            while len(self._claims) > self._size:
                self._claims.popitem(last=False)


class CachingJWTManager(JWTManager):
    """JWTManager that verifies each distinct token once per app, then only re-checks its time.

    Tokens checked together with a CSRF value, or with expiry allowed, always take the full path.
    """

    def init_app(self, app: Flask, add_context_processor: bool = False) -> None:
        super().init_app(app, add_context_processor)
        # One cache per app, so an app never trusts what another app's key verified.
        app.extensions[EXTENSION_KEY] = VerifiedTokens()

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: Any = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        if csrf_value is not None or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        verified: VerifiedTokens = current_app.extensions[EXTENSION_KEY]
        claims = verified.get(encoded_token, config.leeway)
        if claims is None:
            claims = super()._decode_jwt_from_config(encoded_token)
            verified.put(encoded_token, claims)
        return claims
