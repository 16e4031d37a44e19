"""JSON parsing that refuses what the standard library accepts too generously."""

import json
from typing import Any, NoReturn

from flask import Request
from flask.json.provider import DefaultJSONProvider
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
