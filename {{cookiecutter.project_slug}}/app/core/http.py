"""The Flask class of this API: strict JSON in, and no cookie session (the API uses tokens)."""

import json
from typing import Any, NoReturn

from flask import Flask, Request, Response
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.exceptions import BadRequest, UnsupportedMediaType


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONProvider(DefaultJSONProvider):
    """Reject NaN/Infinity and turn overly deep nesting into a decode error instead of a crash."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _reject_constant)
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nesting is too deep") from None


class ApiRequest(Request):
    """A request whose JSON failures say plainly what was wrong."""

    def on_json_loading_failed(self, e: ValueError | None) -> NoReturn:
        if e is None:
            raise UnsupportedMediaType("Request body must be JSON (Content-Type: application/json)")
        raise BadRequest(f"Request body is not valid JSON: {e}")


class NoSessionInterface(SessionInterface):
    """Skip the signed-cookie session Flask would otherwise load and save on every request."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return None  # Flask substitutes a null session that refuses writes

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


class ApiFlask(Flask):
    json_provider_class = StrictJSONProvider
    request_class = ApiRequest
    session_interface = NoSessionInterface()
